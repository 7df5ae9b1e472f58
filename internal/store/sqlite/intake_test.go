package sqlite

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

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

// A large body goes to its file and is parsed without being copied into
// the heap: delivering 32 MB allocates a small fraction of that (issue
// 11: 20 concurrent 49 MB messages took 536 MB of RSS when the parse read
// each body whole).
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
