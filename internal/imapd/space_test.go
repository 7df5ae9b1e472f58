package imapd

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fullStore is a store whose disk is full: every write that adds or
// changes something fails with KindNoSpace, or with kind when set.
type fullStore struct {
	Store
	kind store.Kind
}

func (f fullStore) err(op string) error {
	return store.Errorf(f.kind, op, "write /data/petrel.db-wal: no space left on device")
}

func (f fullStore) AppendBatch(_ context.Context, _ store.AccountID, _ store.MailboxID, _ []store.AppendMessage) (store.Appended, error) {
	return store.Appended{}, f.err("append")
}

func (f fullStore) Deliver(context.Context, store.NewMessage, []store.Target) ([]store.Delivered, error) {
	return nil, f.err("deliver")
}

func (f fullStore) StoreFlags(context.Context, store.MailboxID, []store.UID, store.FlagChange) (store.FlagResult, error) {
	return store.FlagResult{}, f.err("store flags")
}

func (f fullStore) Copy(context.Context, store.MailboxID, []store.UID, store.MailboxID, store.FlagDrop) (store.CopyResult, error) {
	return store.CopyResult{}, f.err("copy")
}

// Storage failures are answered with a reference that is in the log next
// to the cause, and never with the error's text: a full disk is
// NO [UNAVAILABLE] Insufficient system storage (RFC 5530 has no better
// code, see session.storeError); a temporary failure NO [UNAVAILABLE]; an
// internal one NO [SERVERBUG].
func TestStorageErrorsCarryAReference(t *testing.T) {
	for _, c := range []struct {
		kind store.Kind
		want string
	}{
		{store.KindNoSpace, "NO [UNAVAILABLE] Insufficient system storage"},
		{store.KindTemporary, "NO [UNAVAILABLE] Temporary failure"},
		{store.KindInternal, "NO [SERVERBUG] Internal error"},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			e := newEnv(t, func(_ *Config, d *Deps) { d.Store = fullStore{Store: d.Store, kind: c.kind} })
			e.deliver("", testMessage("one", "body"), 0)
			r := e.login()
			r.OK("s SELECT INBOX")
			for _, cmd := range []string{"a APPEND INBOX {5+}\r\nhello", "b STORE 1 +FLAGS (\\Deleted)", "c COPY 1 Archive"} {
				tag, _, _ := strings.Cut(cmd, " ")
				r.Send(cmd + "\r\n")
				_, tagged := r.Until(tag)
				if !strings.HasPrefix(tagged, tag+" "+c.want) || strings.Contains(tagged, "no space left") {
					t.Fatalf("%s: %q, want %q... without the error text", cmd, tagged, c.want)
				}
				ref := testkit.Ref(t, tagged)
				if line := logLine(e.logs.String(), "ref="+ref); !strings.Contains(line, "no space left on device") {
					t.Fatalf("%s: the log has no line with ref=%s and the cause:\n%s", cmd, ref, e.logs.String())
				}
			}
		})
	}
}

// logLine returns the log line that holds s, or "".
func logLine(logs, s string) string {
	for l := range strings.Lines(logs) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// fakeSpace is a Space whose room the test sets.
type fakeSpace struct{ room atomic.Int64 }

func (f *fakeSpace) Room() int64 { return f.room.Load() }

// An APPEND literal larger than the free space above the floor is refused
// before the client sends it (no continuation request); a
// non-synchronising one is read and refused; smaller ones go through.
func TestAppendRefusedWhenDiskLow(t *testing.T) {
	sp := &fakeSpace{}
	sp.room.Store(4000)
	e := newEnv(t, func(_ *Config, d *Deps) { d.Space = sp })
	r := e.login()
	r.Send("a APPEND INBOX {5000}\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "a NO [UNAVAILABLE] Insufficient system storage") {
		t.Fatalf("APPEND of 5000 octets with 4000 free: %q, want a NO before any continuation", l)
	}
	r.Send("b APPEND INBOX {4500+}\r\n" + strings.Repeat("x", 4500) + "\r\n")
	if _, tagged := r.Until("b"); !strings.HasPrefix(tagged, "b NO [UNAVAILABLE]") {
		t.Fatalf("non-synchronising APPEND over the free space: %q", tagged)
	}
	r.Send("c APPEND INBOX {30}\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("APPEND within the free space: %q, want a continuation", l)
	}
	r.Send("Subject: fits\r\n\r\nsmall body\r\n\r\n")
	if _, tagged := r.Until("c"); !strings.HasPrefix(tagged, "c OK") {
		t.Fatalf("APPEND within the free space: %q", tagged)
	}
	sp.room.Store(-1) // below the floor: nothing fits
	if _, tagged := r.Cmd("d APPEND INBOX {1}"); !strings.HasPrefix(tagged, "d NO [UNAVAILABLE]") {
		t.Fatalf("APPEND below the floor: %q", tagged)
	}
	mb, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil || mb.Messages != 1 {
		t.Fatalf("INBOX holds %d messages (%v), want the one that fitted", mb.Messages, err)
	}
	if !strings.Contains(e.logs.String(), "not enough free disk space") {
		t.Error("the refusal is not logged")
	}
}
