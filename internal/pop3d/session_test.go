package pop3d

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

func TestEveryCommand(t *testing.T) {
	e := newEnv(t, nil)
	bodies := []string{testMessage(1), testMessage(2), testMessage(3)}
	var uids []store.UID
	for _, b := range bodies {
		uids = append(uids, e.deliver(b).UID)
	}
	uv := e.inbox().UIDValidity
	cl := e.dial()
	cl.cmd("CAPA", "+OK")
	capa := cl.multi()
	for _, want := range []string{"TOP", "UIDL", "USER", "SASL SCRAM-SHA-256 PLAIN LOGIN", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS"} {
		if !slices.Contains(capa, want) {
			t.Errorf("CAPA %q lacks %q", capa, want)
		}
	}
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK Maildrop has 3 messages")
	cl.cmd("CAPA", "+OK")
	if capa := cl.multi(); slices.Contains(capa, "USER") || slices.Contains(capa, "STLS") || !slices.Contains(capa, "UIDL") {
		t.Errorf("CAPA in TRANSACTION = %q", capa)
	}
	size := func(i int) int64 { return msgmeta.WireSize([]byte(bodies[i])) }
	total := size(0) + size(1) + size(2)
	cl.cmd("STAT", fmt.Sprintf("+OK 3 %d", total))
	cl.cmd("LIST", "+OK 3 messages")
	if got, want := cl.multi(), []string{fmt.Sprintf("1 %d", size(0)), fmt.Sprintf("2 %d", size(1)), fmt.Sprintf("3 %d", size(2))}; !slices.Equal(got, want) {
		t.Errorf("LIST = %q, want %q", got, want)
	}
	cl.cmd("LIST 2", fmt.Sprintf("+OK 2 %d", size(1)))
	cl.cmd("LIST 4", "-ERR No such message")
	cl.cmd("LIST 0", "-ERR No such message")
	cl.cmd("LIST x", "-ERR Syntax")
	uidl := func(i int) string { return fmt.Sprintf("%d %08x%08x", i+1, uv, uint32(uids[i])) }
	cl.cmd("UIDL", "+OK")
	if got := cl.multi(); !slices.Equal(got, []string{uidl(0), uidl(1), uidl(2)}) {
		t.Errorf("UIDL = %q", got)
	}
	cl.cmd("UIDL 3", "+OK "+uidl(2))
	cl.cmd("RETR 1", fmt.Sprintf("+OK %d octets", size(0)))
	if got := string(cl.rawMulti()); got != bodies[0] {
		t.Errorf("RETR 1 = %q, want %q", got, bodies[0])
	}
	cl.cmd("TOP 2 0", "+OK")
	if got := cl.multi(); !slices.Equal(got, []string{"From: bob@example.com", "To: alice@example.org", "Subject: message 2", ""}) {
		t.Errorf("TOP 2 0 = %q", got)
	}
	cl.cmd("TOP 2 1", "+OK")
	if got := cl.multi(); len(got) != 5 || got[4] != "Body of message 2." {
		t.Errorf("TOP 2 1 = %q", got)
	}
	cl.cmd("TOP 2 100", "+OK")
	if got := cl.multi(); len(got) != 6 {
		t.Errorf("TOP 2 100 = %q", got)
	}
	cl.cmd("TOP 2", "-ERR Syntax")
	cl.cmd("DELE 2", "+OK")
	cl.cmd("DELE 2", "-ERR Message 2 already deleted")
	cl.cmd("RETR 2", "-ERR Message 2 already deleted")
	cl.cmd("LIST 2", "-ERR Message 2 already deleted")
	cl.cmd("STAT", fmt.Sprintf("+OK 2 %d", size(0)+size(2)))
	cl.cmd("RSET", "+OK Maildrop has 3 messages")
	cl.cmd("STAT", fmt.Sprintf("+OK 3 %d", total))
	cl.cmd("NOOP", "+OK")
	cl.cmd("DELE 1", "+OK")
	cl.cmd("DELE 3", "+OK")
	cl.cmd("USER x", "-ERR Command not valid in this state")
	cl.cmd("QUIT", "+OK pop.example.org POP3 server signing off (1 messages left)")
	cl.Closed()
	left := e.messages()
	if len(left) != 1 || left[0].UID != uids[1] {
		t.Fatalf("after QUIT: %+v, want message 2 only", left)
	}
	// RETR 1 marked \Seen; TOP 2 did not.
	if left[0].Flags&store.FlagSeen != 0 {
		t.Error("TOP marked the message \\Seen")
	}
}

func TestRetrMarksSeen(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	e.deliver(testMessage(2))
	cl := e.login()
	cl.cmd("RETR 2", "+OK")
	cl.rawMulti()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ms := e.messages()
		if ms[1].Flags&store.FlagSeen != 0 {
			if ms[0].Flags&store.FlagSeen != 0 {
				t.Fatal("message 1 marked \\Seen")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("RETR did not mark the message \\Seen within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cl.cmd("QUIT", "+OK")
}

func TestDropAppliesNothing(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 3 {
		e.deliver(testMessage(i))
	}
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	cl.cmd("DELE 2", "+OK")
	cl.cmd("RETR 3", "+OK")
	cl.rawMulti()
	cl.C.Close()
	// The session ends; its lock is released: a new login works, and
	// still sees all three messages.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cl2 := e.dial()
		cl2.cmd("USER "+testUser, "+OK")
		l := cl2.cmd("PASS "+testPass, "")
		if strings.HasPrefix(l, "+OK Maildrop has 3 messages") {
			cl2.cmd("QUIT", "+OK")
			break
		}
		if !strings.HasPrefix(l, "-ERR [IN-USE]") || time.Now().After(deadline) {
			t.Fatalf("login after a drop: %q", l)
		}
		cl2.C.Close()
		time.Sleep(20 * time.Millisecond)
	}
	ms := e.messages()
	if len(ms) != 3 {
		t.Fatalf("%d messages after a dropped session, want 3", len(ms))
	}
	if ms[2].Flags&store.FlagSeen == 0 {
		t.Error("message 3 was retrieved: \\Seen even without QUIT")
	}
}

func TestQuitExpungeSeenByIMAP(t *testing.T) {
	e := newEnv(t, nil)
	d1, d2 := e.deliver(testMessage(1)), e.deliver(testMessage(2))
	before := e.inbox().HighestModSeq
	sub := e.st.Subscribe(e.acct.ID)
	defer sub.Close()
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	cl.cmd("DELE 2", "+OK")
	cl.cmd("QUIT", "+OK")
	gone, err := e.st.ExpungedSince(context.Background(), e.inbox().ID, before)
	if err != nil || !slices.Equal(gone, []store.UID{d1.UID, d2.UID}) {
		t.Fatalf("ExpungedSince = %v, %v (VANISHED for QRESYNC clients)", gone, err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case <-sub.C():
			evs, _ := sub.Events()
			for _, ev := range evs {
				if ev.Kind == store.ChangeExpunged && slices.Equal(ev.UIDs, []store.UID{d1.UID, d2.UID}) {
					return
				}
			}
		case <-timeout:
			t.Fatal("no expunge event for IMAP sessions")
		}
	}
}

func TestInUse(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	first := e.login()
	second := e.dial()
	second.cmd("USER "+testUser, "+OK")
	second.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	first.cmd("QUIT", "+OK")
	first.Closed()
	// The refused session stays in AUTHORIZATION and may try again.
	second.cmd("USER "+testUser, "+OK")
	second.cmd("PASS "+testPass, "+OK")
	// pop3s shares the lock.
	third := e.dialTLS()
	third.cmd("USER "+testUser, "+OK")
	third.cmd("PASS "+testPass, "-ERR [IN-USE] ")
}

func TestUIDLStableAcrossRestart(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 4 {
		e.deliver(testMessage(i))
	}
	cl := e.login()
	cl.cmd("DELE 2", "+OK")
	cl.cmd("UIDL", "+OK")
	first := cl.multi()
	cl.cmd("QUIT", "+OK")
	e.restart()
	cl = e.login()
	cl.cmd("UIDL", "+OK")
	second := cl.multi()
	strip := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			_, id, _ := strings.Cut(l, " ")
			out = append(out, id)
		}
		return out
	}
	if len(first) != 3 || !slices.Equal(strip(first), strip(second)) {
		t.Fatalf("UIDL before restart %q, after %q", first, second)
	}
	e.deliver(testMessage(9))
	cl.cmd("QUIT", "+OK")
	cl = e.login()
	cl.cmd("UIDL", "+OK")
	third := strip(cl.multi())
	if len(third) != 4 || !slices.Equal(third[:3], strip(first)) || slices.Contains(strip(first), third[3]) {
		t.Fatalf("UIDL after a new delivery: %q", third)
	}
}

func TestConcurrentExpungeByIMAP(t *testing.T) {
	e := newEnv(t, nil)
	var uids []store.UID
	for i := range 3 {
		uids = append(uids, e.deliver(testMessage(i)).UID)
	}
	cl := e.login()
	cl.cmd("DELE 3", "+OK")
	if _, err := e.st.Expunge(context.Background(), e.inbox().ID, []store.UID{uids[1], uids[2]}); err != nil {
		t.Fatal(err)
	}
	// The change reaches the session through the feed, asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(cl.cmd("STAT", "+OK"), "+OK 1 ") {
		if time.Now().After(deadline) {
			t.Fatal("STAT still counts the expunged message")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cl.cmd("RETR 2", "-ERR Message was deleted by another client")
	cl.cmd("TOP 2 0", "-ERR Message was deleted by another client")
	cl.cmd("DELE 2", "-ERR Message was deleted by another client")
	cl.cmd("LIST", "+OK 1 messages")
	if got := cl.multi(); len(got) != 1 || !strings.HasPrefix(got[0], "1 ") {
		t.Fatalf("LIST = %q", got)
	}
	cl.cmd("RETR 1", "+OK")
	if got := string(cl.rawMulti()); got != testMessage(0) {
		t.Fatalf("RETR 1 = %q", got)
	}
	cl.cmd("DELE 1", "+OK")
	cl.cmd("QUIT", "+OK pop.example.org POP3 server signing off (0 messages left)")
	if n := len(e.messages()); n != 0 {
		t.Fatalf("%d messages left", n)
	}
}

// deafStore hides the change feed: its sessions never hear of changes.
type deafStore struct{ Store }

func (d deafStore) Subscribe(store.AccountID) *store.Subscription {
	return d.Store.Subscribe(store.AccountID(999999))
}

// An expunge that the session has not heard of yet: RETR reads the body
// by its blob ID, which the store never reuses.
func TestRetrOfBlobGone(t *testing.T) {
	e := newEnv(t, nil)
	e.stop()
	e.deps.Store = deafStore{e.st}
	e.srv = New(e.cfg, e.deps)
	e.listen()
	e.deliver(testMessage(1))
	cl := e.login()
	if _, err := e.st.Expunge(context.Background(), e.inbox().ID, []store.UID{1}); err != nil {
		t.Fatal(err)
	}
	e.deliver(testMessage(2)) // a new message, a new blob
	cl.cmd("STAT", "+OK 1 ")  // the session does not know
	cl.cmd("RETR 1", "-ERR Message was deleted by another client")
	cl.cmd("STAT", "+OK 0 0")
	cl.cmd("QUIT", "+OK")
}

// TestSizeIsUnstuffed: STAT, LIST and the RETR status line give the size
// of the message with CRLF line endings, without the byte-stuffing of
// lines that start with "." (RFC 1939 §5, §11): the octets RETR delivers
// once un-stuffed.
func TestSizeIsUnstuffed(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("Subject: dots\n\n.one\n..two\n.\nend\n")
	cl := e.login()
	list := cl.cmd("LIST 1", "+OK")
	stat := cl.cmd("STAT", "+OK")
	retr := cl.cmd("RETR 1", "+OK")
	raw := cl.rawMulti()
	var body []byte
	for _, l := range bytes.SplitAfter(raw, []byte("\r\n")) {
		body = append(body, bytes.TrimPrefix(l, []byte("."))...)
	}
	n := len(body)
	if want := fmt.Sprintf("+OK 1 %d", n); list != want {
		t.Errorf("LIST 1 = %q, want %q (RETR sent %d octets stuffed)", list, want, len(raw))
	}
	if want := fmt.Sprintf("+OK 1 %d", n); stat != want {
		t.Errorf("STAT = %q, want %q", stat, want)
	}
	if want := fmt.Sprintf("+OK %d octets", n); retr != want {
		t.Errorf("RETR = %q, want %q", retr, want)
	}
	if len(raw) != n+3 {
		t.Errorf("RETR sent %d octets, want %d (three lines stuffed)", len(raw), n+3)
	}
	cl.cmd("QUIT", "+OK")
}
