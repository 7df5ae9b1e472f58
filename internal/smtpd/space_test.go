package smtpd

import (
	"bytes"
	"io/fs"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeSpace is a Space whose room the test sets.
type fakeSpace struct{ room atomic.Int64 }

func (f *fakeSpace) Room() int64 { return f.room.Load() }

func spaceServer(t *testing.T, room int64) (*testServer, *fakeSpace) {
	t.Helper()
	sp := &fakeSpace{}
	sp.room.Store(room)
	cfg := testConfig()
	cfg.Space = sp
	return start(t, cfg, nil), sp
}

// RFC 1870 §6.1: a message whose declared SIZE does not fit on the disk
// above the free-space floor is refused at MAIL with 452 4.3.1, and any
// message when the disk is already below the floor.
func TestMailRefusedWhenDiskLow(t *testing.T) {
	ts, sp := spaceServer(t, 4000)
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<a@example.org> SIZE=5000", "452 4.3.1 Insufficient system storage")
	c.cmd("MAIL FROM:<a@example.org> SIZE=3000", "250 2.1.0")
	c.cmd("RSET", "250 ")
	c.cmd("MAIL FROM:<a@example.org>", "250 2.1.0")
	c.cmd("RSET", "250 ")
	sp.room.Store(-1) // below the floor
	c.cmd("MAIL FROM:<a@example.org>", "452 4.3.1")
	// The refusal is temporary: once space is back, mail flows again.
	sp.room.Store(1 << 20)
	c.transaction("a@example.org", "b@mx.test")
	c.data("Subject: x\r\n\r\nbody\r\n.\r\n")
	if n := len(ts.d.messages()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
	if !strings.Contains(ts.logs.String(), "not enough free disk space") {
		t.Error("the refusal is not logged")
	}
}

// The space may go between MAIL and DATA: DATA is refused before the
// client sends the message, and the first BDAT before it is stored.
func TestDataRefusedWhenDiskLow(t *testing.T) {
	ts, sp := spaceServer(t, 1<<20)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	sp.room.Store(0)
	c.cmd("DATA", "452 4.3.1")
	c.cmd("RCPT TO:<b@mx.test>", "503 ") // the transaction is over
	sp.room.Store(1 << 20)
	c.transaction("a@example.org", "b@mx.test")
	sp.room.Store(0)
	c.Send("BDAT 12 LAST\r\nSubject: x\r\n")
	c.expect("452 4.3.1")
	c.cmd("NOOP", "250 ") // the chunk was consumed, the session is in step
	if n := len(ts.d.messages()); n != 0 {
		t.Fatalf("%d messages delivered while the disk was full", n)
	}
}

// A spool file that cannot be written because the disk is full is
// answered 452 4.3.1 with a reference to the log line, not 451 4.3.0,
// and never with the error text.
func TestSpoolDiskFullIs452(t *testing.T) {
	var logs bytes.Buffer
	s := &session{log: slog.New(slog.NewTextHandler(&logs, nil))}
	full := &fs.PathError{Op: "write", Path: "/data/spool/smtpd-1.eml", Err: syscall.ENOSPC}
	r := s.refusal(&msgReader{err: full})
	if r == nil || r.Code != 452 || r.Enhanced.String() != "4.3.1" || strings.Contains(r.Text, "/data") {
		t.Fatalf("reply to a full spool: %v, want 452 4.3.1 without the error text", r)
	}
	ref := testkit.Ref(t, r.Text)
	if ref == "" || !strings.Contains(logs.String(), "ref="+ref) || !strings.Contains(logs.String(), "no space left") {
		t.Fatalf("reply %q: the log does not hold its reference and cause:\n%s", r.Text, logs.String())
	}
	other := s.refusal(&msgReader{err: &fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}})
	if other == nil || other.Code != 451 {
		t.Errorf("reply to an I/O error: %v, want 451 4.3.0", other)
	}
}
