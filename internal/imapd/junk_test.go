package imapd

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// junkReports records Report calls.
type junkReports struct {
	mu    sync.Mutex
	calls []junkReport
}

type junkReport struct {
	user    string
	mailbox store.MailboxID
	uids    []store.UID
	spam    bool
}

func (j *junkReports) Report(user string, mailbox store.MailboxID, uids []store.UID, spam bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, junkReport{user, mailbox, slices.Clone(uids), spam})
}

func (j *junkReports) take() []junkReport {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.calls
	j.calls = nil
	return c
}

// TestJunkReports: MOVE and COPY into Junk report spam, out of Junk
// (not into Trash) ham, with the messages where they land; moves between
// other mailboxes and within Junk report nothing.
func TestJunkReports(t *testing.T) {
	j := &junkReports{}
	e := newEnv(t, func(_ *Config, d *Deps) { d.Junk = j })
	ctx := context.Background()
	mb := func(name string) store.Mailbox {
		m, err := e.st.Mailbox(ctx, e.acct.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	junk, inbox := mb("Junk"), mb("INBOX")
	if junk.SpecialUse != store.UseJunk {
		t.Fatalf("Junk mailbox %+v", junk)
	}
	for i := range 3 {
		e.deliver("", testMessage("m"+itoa64(uint64(i)), "hello"), 0)
	}
	r := e.login()
	r.OK("s SELECT INBOX")
	r.OK("m1 UID MOVE 1:2 Junk")
	want := []junkReport{{testUser, junk.ID, []store.UID{1, 2}, true}}
	if got := j.take(); !slices.EqualFunc(got, want, equalReport) {
		t.Fatalf("MOVE into Junk: %+v, want %+v", got, want)
	}
	r.OK("m2 UID MOVE 3 Archive")
	r.OK("c1 SELECT Junk")
	r.OK("c2 UID COPY 1 Junk")
	r.OK("c3 UID COPY 2 Trash")
	if got := j.take(); len(got) != 0 {
		t.Fatalf("moves that are no judgement reported %+v", got)
	}
	r.OK("m3 UID MOVE 1 INBOX")
	want = []junkReport{{testUser, inbox.ID, []store.UID{4}, false}}
	if got := j.take(); !slices.EqualFunc(got, want, equalReport) {
		t.Fatalf("MOVE out of Junk: %+v, want %+v", got, want)
	}
}

func equalReport(a, b junkReport) bool {
	return a.user == b.user && a.mailbox == b.mailbox && a.spam == b.spam && slices.Equal(a.uids, b.uids)
}
