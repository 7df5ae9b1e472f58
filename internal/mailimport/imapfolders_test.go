package mailimport

import (
	"bytes"
	"context"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// lateDelivery is a store on which a message arrives in a mailbox just
// after a listing of it reached its end: between --delete-folders'
// check that the mailbox holds only imported messages and its delete.
type lateDelivery struct {
	store.Store
	account store.AccountID
	mailbox string
	done    bool
}

func (s *lateDelivery) ListMessages(ctx context.Context, mb store.MailboxID, after store.UID, limit int) ([]store.Message, error) {
	page, err := s.Store.ListMessages(ctx, mb, after, limit)
	if err == nil && len(page) == 0 && !s.done {
		s.done = true
		res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader([]byte("Subject: late\r\n\r\nlate\r\n"))},
			[]store.Target{{Account: s.account, MailboxName: s.mailbox}})
		if err != nil || res[0].Err != nil {
			return nil, err
		}
	}
	return page, err
}

// TestDeleteGoneKeepsLateDelivery: a message delivered into a folder's
// mailbox after --delete-folders checked it keeps the mailbox; it is not
// deleted with it.
func TestDeleteGoneKeepsLateDelivery(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	acct := account(t, st, "a@example.org")
	mb, err := st.CreateMailbox(ctx, acct, "Gone", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendBatch(ctx, acct, mb.ID, []store.AppendMessage{{Body: bytes.NewReader([]byte("Subject: imported\r\n\r\nx\r\n"))}}); err != nil {
		t.Fatal(err)
	}
	ws := &lateDelivery{Store: st, account: acct, mailbox: "Gone"}
	fs := &folderSync{im: &importer{st: ws, account: acct}, key: "import/test/folder",
		idmap: imapMap{m: map[uint32]uint32{}, dirty: map[uint32]bool{}},
		state: imapState{Mailbox: "Gone", TargetValidity: uint32(mb.UIDValidity), KeptUpTo: 1}}
	kept, err := fs.deleteGone(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.done {
		t.Fatal("the listing never reached its end")
	}
	if kept == "" {
		t.Fatal("the mailbox was deleted with a message delivered after the check")
	}
	after, err := st.Mailbox(ctx, acct, "Gone")
	if err != nil || after.Messages != 2 {
		t.Fatalf("mailbox after the refused delete: %+v, %v; want it with 2 messages", after, err)
	}
}
