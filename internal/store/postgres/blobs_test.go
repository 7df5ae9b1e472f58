package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// genBody is a message of size octets made up as it is read, so that the
// test itself holds none of it.
type genBody struct {
	header []byte
	size   int64
	off    int64
}

var genLine = []byte("The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuv.\r\n")

func (g *genBody) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && g.off < g.size {
		var src []byte
		if g.off < int64(len(g.header)) {
			src = g.header[g.off:]
		} else {
			src = genLine[(g.off-int64(len(g.header)))%int64(len(genLine)):]
		}
		k := copy(p[n:], src)
		k = int(min(int64(k), g.size-g.off))
		n += k
		g.off += int64(k)
	}
	return n, nil
}

// heapPeak samples the heap in use while fn runs and returns its peak
// above the level before.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
				peak.Store(ms.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// TestLargeBodyBoundedMemory: a 50 MiB message is delivered and read back
// with the heap never holding more than a fraction of it.
func TestLargeBodyBoundedMemory(t *testing.T) {
	_, s, acct := nodes(t)
	ctx := context.Background()
	const size = 50 << 20
	const bound = 16 << 20
	header := []byte("From: a@example.com\r\nTo: u@example.org\r\nSubject: big\r\n\r\n")
	want := sha256.New()
	io.Copy(want, &genBody{header: header, size: size})

	var d store.Delivered
	peak := heapPeak(func() {
		res, err := s.Deliver(ctx, store.NewMessage{Body: &genBody{header: header, size: size}}, []store.Target{{Account: acct.ID}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("Deliver: %v %v", err, res)
		}
		d = res[0]
	})
	t.Logf("delivery of %d MiB: heap peak +%.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak > bound {
		t.Errorf("delivery of %d MiB raised the heap by %d MiB, want under %d", size>>20, peak>>20, bound>>20)
	}
	ms, err := s.Messages(ctx, d.Mailbox, d.UID, d.UID)
	if err != nil || len(ms) != 1 || ms[0].Size != size {
		t.Fatalf("Messages = %+v, %v", ms, err)
	}
	got := sha256.New()
	peak = heapPeak(func() {
		bl, err := s.OpenBlob(ctx, ms[0].Blob)
		if err != nil {
			t.Fatal(err)
		}
		defer bl.Close()
		if n, err := io.Copy(got, bl); err != nil || n != size || bl.Size() != size {
			t.Fatalf("read %d of %d octets: %v", n, bl.Size(), err)
		}
		// A read across a chunk boundary.
		part := make([]byte, 100)
		if _, err := bl.ReadAt(part, ChunkSize-50); err != nil {
			t.Fatalf("ReadAt: %v", err)
		}
		g := &genBody{header: header, size: size}
		io.CopyN(io.Discard, g, ChunkSize-50)
		wantPart := make([]byte, 100)
		io.ReadFull(g, wantPart)
		if !bytes.Equal(part, wantPart) {
			t.Fatal("ReadAt across a chunk boundary returned other octets")
		}
	})
	t.Logf("reading %d MiB: heap peak +%.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak > bound {
		t.Errorf("reading %d MiB raised the heap by %d MiB, want under %d", size>>20, peak>>20, bound>>20)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("the 50 MiB body does not round-trip")
	}
	meta, err := s.Meta(ctx, d.Mailbox, d.UID)
	if err != nil || meta.Envelope.Subject != "big" {
		t.Fatalf("Meta of the large body: %+v, %v", meta, err)
	}
}
