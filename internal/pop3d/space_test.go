package pop3d

import (
	"context"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fullStore is a store whose disk is full: expunges fail with KindNoSpace.
type fullStore struct{ Store }

func (fullStore) Expunge(context.Context, store.MailboxID, []store.UID) ([]store.UID, error) {
	return nil, store.Errorf(store.KindNoSpace, "expunge", "write /data/petrel.db-wal: no space left on device")
}

// A QUIT whose expunge fails on a full disk is answered -ERR [SYS/TEMP]
// (RFC 3206 §4: temporary) saying so, with a reference in the log and
// without the error's text; the messages stay.
func TestQuitOnFullDisk(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	e.stop()
	e.deps.Store = fullStore{e.st}
	e.srv = New(e.cfg, e.deps)
	e.listen()
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	l := cl.cmd("QUIT", "-ERR [SYS/TEMP] Some deleted messages not removed: Insufficient system storage")
	if strings.Contains(l, "no space left") {
		t.Fatalf("the error text is on the wire: %q", l)
	}
	ref := testkit.Ref(t, l)
	found := false
	for line := range strings.Lines(e.logs.String()) {
		found = found || strings.Contains(line, ref) && strings.Contains(line, "disk full") && strings.Contains(line, "no space left")
	}
	if ref == "" || !found {
		t.Fatalf("reply %q: no log line with its reference and the cause:\n%s", l, e.logs.String())
	}
	if n := e.inbox().Messages; n != 1 {
		t.Fatalf("INBOX holds %d messages after the failed expunge, want 1", n)
	}
}
