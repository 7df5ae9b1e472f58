package storetest

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func mustMailboxesAll(t *testing.T, s store.Store) []store.Mailbox {
	t.Helper()
	accts, err := s.Accounts(context.Background())
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	var out []store.Mailbox
	for _, a := range accts {
		mbs, err := s.Mailboxes(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("Mailboxes: %v", err)
		}
		out = append(out, mbs...)
	}
	return out
}

// same fails the test when a read of the two stores differs.
func same[T any](t *testing.T, what string, read func(store.Store) (T, error), src, dst store.Store) {
	t.Helper()
	a, err := read(src)
	if err != nil {
		t.Fatalf("%s in the source: %v", what, err)
	}
	b, err := read(dst)
	if err != nil {
		t.Fatalf("%s in the copy: %v", what, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s differ:\nsource %+v\ncopy   %+v", what, a, b)
	}
}

// sameStores compares everything a copy carries over, by name and
// identity (account and mailbox IDs and blob ids may differ).
func sameStores(t *testing.T, src, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	same(t, "domains", func(s store.Store) ([]string, error) { return s.Domains(ctx) }, src, dst)
	same(t, "aliases", func(s store.Store) (map[string][]string, error) { return s.Aliases(ctx) }, src, dst)
	accts, err := src.Accounts(ctx)
	if err != nil || len(accts) == 0 {
		t.Fatalf("Accounts: %d, %v", len(accts), err)
	}
	for _, a := range accts {
		id, err := dst.LookupAddress(ctx, a.Address)
		if err != nil {
			t.Fatalf("account %s missing in the copy: %v", a.Address, err)
		}
		ids := map[store.Store]store.AccountID{src: a.ID, dst: id}
		same(t, "account "+a.Address, func(s store.Store) (store.Account, error) {
			acct, err := s.Account(ctx, ids[s])
			acct.ID = 0
			return acct, err
		}, src, dst)
		same(t, "addresses", func(s store.Store) ([]string, error) { return s.Addresses(ctx, ids[s]) }, src, dst)
		same(t, "account state", func(s store.Store) (store.State, error) { return s.AccountState(ctx, ids[s]) }, src, dst)
		same(t, "subscriptions", func(s store.Store) ([]string, error) { return s.Subscriptions(ctx, ids[s]) }, src, dst)
		same(t, "thread keys", func(s store.Store) ([]store.ThreadKey, error) { return s.ListThreadKeys(ctx, ids[s], "", 1000) }, src, dst)
		mbs, err := src.Mailboxes(ctx, a.ID)
		if err != nil {
			t.Fatalf("Mailboxes: %v", err)
		}
		same(t, "mailboxes of "+a.Address, func(s store.Store) ([]store.Mailbox, error) {
			mbs, err := s.Mailboxes(ctx, ids[s])
			for i := range mbs {
				mbs[i].ID, mbs[i].Account = 0, 0
			}
			return mbs, err
		}, src, dst)
		for _, mb := range mbs {
			dmb, err := dst.Mailbox(ctx, id, mb.Name)
			if err != nil {
				t.Fatalf("Mailbox %s: %v", mb.Name, err)
			}
			sameMessages(t, src, dst, mb.ID, dmb.ID)
		}
	}
	same(t, "queue", func(s store.Store) ([]queuedWithBody, error) { return queueWithBodies(ctx, s) }, src, dst)
	same(t, "key/value entries", func(s store.Store) ([]kvEntry, error) { return kvEntries(ctx, s) }, src, dst)
}

// msgWithBody is a message as a copy must keep it: the record without
// its mailbox and blob ids, the metadata and the body.
type msgWithBody struct {
	store.Message
	Meta any
	Body []byte
}

// sameMessages compares the messages of one mailbox, the metadata and
// bodies, and the expunge logs.
func sameMessages(t *testing.T, src, dst store.Store, smb, dmb store.MailboxID) {
	t.Helper()
	ctx := context.Background()
	ids := map[store.Store]store.MailboxID{src: smb, dst: dmb}
	same(t, "messages", func(s store.Store) ([]msgWithBody, error) {
		ms, err := s.Messages(ctx, ids[s], 1, 0)
		if err != nil {
			return nil, err
		}
		out := make([]msgWithBody, 0, len(ms))
		for _, m := range ms {
			meta, err := s.Meta(ctx, ids[s], m.UID)
			if err != nil {
				return nil, err
			}
			body, err := readBody(ctx, s, m.Blob)
			if err != nil {
				return nil, err
			}
			m.Mailbox, m.Blob = 0, 0
			_, off := m.InternalDate.Zone()
			m.InternalDate = m.InternalDate.UTC()
			out = append(out, msgWithBody{Message: m, Meta: [2]any{meta, off}, Body: body})
		}
		return out, nil
	}, src, dst)
	same(t, "expunge log", func(s store.Store) ([]store.Expunged, error) { return s.ExpungeLog(ctx, ids[s], 0, 1000) }, src, dst)
	same(t, "expunged since 0", func(s store.Store) ([]store.UID, error) { return s.ExpungedSince(ctx, ids[s], 0) }, src, dst)
}

// readBody reads a whole body.
func readBody(ctx context.Context, s store.Store, id store.BlobID) ([]byte, error) {
	bl, err := s.OpenBlob(ctx, id)
	if err != nil {
		return nil, err
	}
	defer bl.Close()
	return io.ReadAll(bl)
}

type queuedWithBody struct {
	store.QueuedMessage
	Body []byte
}

func queueWithBodies(ctx context.Context, s store.Store) ([]queuedWithBody, error) {
	qs, err := s.QueuedMessages(ctx)
	if err != nil {
		return nil, err
	}
	var out []queuedWithBody
	for _, q := range qs {
		body, err := readBody(ctx, s, q.Blob)
		if err != nil {
			return nil, err
		}
		// Claims are not copied: the copy starts unclaimed.
		q.Blob, q.ClaimOwner, q.ClaimUntil = 0, "", time.Time{}
		q.Arrived = q.Arrived.UTC()
		for i := range q.Rcpts {
			r := &q.Rcpts[i]
			r.NextAttempt, r.LastAttempt = r.NextAttempt.UTC(), r.LastAttempt.UTC()
		}
		out = append(out, queuedWithBody{QueuedMessage: q, Body: body})
	}
	return out, nil
}

type kvEntry struct {
	Info  store.KeyInfo
	Value []byte
}

func kvEntries(ctx context.Context, s store.Store) ([]kvEntry, error) {
	infos, err := s.KVList(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []kvEntry
	for _, info := range infos {
		v, err := s.KVLoad(ctx, info.Key)
		if err != nil {
			return nil, err
		}
		info.Modified = info.Modified.UTC()
		out = append(out, kvEntry{info, v})
	}
	return out, nil
}

// checkAfterImport checks that the copy goes on from the imported
// identities: a delivery gets a greater UID, MODSEQ and EmailID, a reply
// to an imported message joins its thread, a new mailbox a greater
// UIDVALIDITY, and a UID holding another message is refused.
func checkAfterImport(t *testing.T, src, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	counters, err := src.Counters(ctx)
	if err != nil {
		t.Fatalf("Counters: %v", err)
	}
	alice, err := dst.LookupAddress(ctx, "alice@example.org")
	if err != nil {
		t.Fatalf("LookupAddress: %v", err)
	}
	inbox, err := dst.Mailbox(ctx, alice, "INBOX")
	if err != nil {
		t.Fatalf("Mailbox: %v", err)
	}
	old, err := dst.Messages(ctx, inbox.ID, 1, 0)
	if err != nil || len(old) == 0 {
		t.Fatalf("Messages: %d, %v", len(old), err)
	}
	var root store.Message
	for _, m := range old {
		if meta, err := dst.Meta(ctx, inbox.ID, m.UID); err == nil && meta.Envelope.Subject == "root" {
			root = m
		}
	}
	if root.UID == 0 {
		t.Fatalf("the imported root message is missing")
	}
	reply := rawMsg("Subject: late reply\r\nMessage-ID: <late@example.com>\r\nIn-Reply-To: <root@example.com>\r\n", 300)
	res, err := dst.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(reply)}, []store.Target{{Account: alice}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Deliver after import: %v, %+v", err, res)
	}
	d := res[0]
	if d.UID < inbox.UIDNext || d.UID <= old[len(old)-1].UID || d.ModSeq <= inbox.HighestModSeq || d.UIDValidity != inbox.UIDValidity {
		t.Fatalf("delivery after import got UID %d MODSEQ %d UIDVALIDITY %d; mailbox had UIDNEXT %d HIGHESTMODSEQ %d UIDVALIDITY %d",
			d.UID, d.ModSeq, d.UIDValidity, inbox.UIDNext, inbox.HighestModSeq, inbox.UIDValidity)
	}
	got, err := dst.Messages(ctx, inbox.ID, d.UID, d.UID)
	if err != nil || len(got) != 1 {
		t.Fatalf("new message: %v, %v", got, err)
	}
	if got[0].ThreadID != root.ThreadID {
		t.Fatalf("reply to an imported message: thread %v, want the root's %v", got[0].ThreadID, root.ThreadID)
	}
	if got[0].EmailID <= counters.EmailID {
		t.Fatalf("new message got email ID %d, not above the source's counter %d", got[0].EmailID, counters.EmailID)
	}
	mb, err := dst.CreateMailbox(ctx, alice, "Tmp", store.UseNone)
	if err != nil || mb.UIDValidity <= counters.UIDValidity {
		t.Fatalf("new mailbox Tmp: UIDVALIDITY %d (source counter %d), %v", mb.UIDValidity, counters.UIDValidity, err)
	}
	clash := old[0]
	_, err = dst.ImportMessages(ctx, alice, inbox.ID, []store.ImportMessage{{UID: clash.UID, ModSeq: clash.ModSeq,
		EmailID: clash.EmailID + 1000, ThreadID: clash.ThreadID, Body: bytes.NewReader(reply)}})
	wantKind(t, "ImportMessages over another message", err, store.KindExists)
	if ms, _ := dst.Messages(ctx, inbox.ID, clash.UID, clash.UID); len(ms) != 1 || ms[0].EmailID != clash.EmailID {
		t.Fatalf("refused import changed UID %d: %+v", clash.UID, ms)
	}
	if slices.ContainsFunc(old, func(m store.Message) bool { return m.UID == d.UID }) {
		t.Fatalf("UID %d reused", d.UID)
	}
}
