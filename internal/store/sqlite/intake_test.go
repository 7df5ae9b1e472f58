package sqlite

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// lineReader yields n lines of text without holding them.
type lineReader struct {
	line string
	n    int
	off  int
}

func (r *lineReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:], r.line[r.off:])
		w += c
		r.off += c
		if r.off == len(r.line) {
			r.off, r.n = 0, r.n-1
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// A large body goes to its file and, without metadata from the caller, is
// parsed there without being copied into the heap: delivering 32 MB
// allocates a small fraction of that (issue 11: 20 concurrent 49 MB
// messages took 536 MB of RSS when the parse read each body whole). The
// server's own path parses before the store, from the spool: delivery's
// TestDeliverLargeSpooledBodyOutsideHeap.
func TestDeliverLargeBodyOutsideHeap(t *testing.T) {
	e := openStoreEnv(t, t.TempDir(), Options{})
	line := strings.Repeat("z", 78) + "\r\n"
	const size = 32 << 20
	body := io.MultiReader(strings.NewReader("Subject: big\r\n\r\n"), &lineReader{line: line, n: size / len(line)})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := e.s.Deliver(context.Background(), store.NewMessage{Body: body}, []store.Target{{Account: e.acct}})
	runtime.ReadMemStats(&after)
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Fatalf("delivering %d MB allocated %d MB in the heap", size>>20, alloc>>20)
	}
}

// The metadata a caller hands over is stored as given, for a small and a
// large body, delivered or appended: the backend does not parse it again
// (docs/flow.md: delivery parses before the store). The given metadata
// names a subject the body does not have.
func TestGivenMetaStoredAsGiven(t *testing.T) {
	e := openStoreEnv(t, t.TempDir(), Options{})
	ctx := context.Background()
	for _, size := range []int{10, 2 << 20} {
		raw := "Subject: from the body\r\n\r\n" + strings.Repeat("x", size) + "\r\n"
		given := msgmeta.ParseBytes([]byte(raw))
		given.Envelope.Subject = "given by the caller"
		res, err := e.s.Deliver(ctx, store.NewMessage{Body: strings.NewReader(raw), Meta: given},
			[]store.Target{{Account: e.acct}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		app, err := e.s.AppendBatch(ctx, e.acct, e.inbox, []store.AppendMessage{{Body: strings.NewReader(raw), Meta: given}})
		if err != nil {
			t.Fatal(err)
		}
		for _, uid := range []store.UID{res[0].UID, app.UIDs[0]} {
			m, err := e.s.Meta(ctx, e.inbox, uid)
			if err != nil {
				t.Fatal(err)
			}
			if m.Envelope.Subject != "given by the caller" {
				t.Errorf("size %d, uid %d: stored subject %q, want the given metadata's", size, uid, m.Envelope.Subject)
			}
		}
	}
}
