package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// indexBenchWords are the words of the benchmark's texts (as
// bench/genmbox's: a small vocabulary, so that the trigram lists grow
// long as in a real mailbox).
var indexBenchWords = strings.Fields("the of and to in is that for it as was with be by on not he this are or his " +
	"from at which but have an they you were her she there server mailbox message invoice meeting deadline " +
	"report quarterly budget release deploy ticket review schedule project customer support backup storage")

// indexBenchMessage is a plain text message of about size octets.
func indexBenchMessage(i, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from mx.example.org (mx.example.org [192.0.2.%d])\r\n\tby mail.example.net with ESMTPS id %08X\r\n",
		r.IntN(254), r.Uint32())
	fmt.Fprintf(&b, "Message-ID: <%d.%08x@example.net>\r\nFrom: Person %d <p%d@example.net>\r\nTo: alice@example.org\r\n",
		i, r.Uint32(), i%50, i%50)
	fmt.Fprintf(&b, "Subject: %s %s %d\r\n\r\n", indexBenchWords[r.IntN(len(indexBenchWords))], indexBenchWords[r.IntN(len(indexBenchWords))], i)
	for b.Len() < size {
		b.WriteString(indexBenchWords[r.IntN(len(indexBenchWords))])
		if b.Len()%70 < 8 {
			b.WriteString("\r\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()
}

// cpuTime is the process's user and system CPU time.
func cpuTime(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

// BenchmarkIndexCPU measures the background indexer's work per message
// (docs/benchmarks.md §Full-text index cost (issue 21)): b.N messages of
// 4 KiB delivered (not measured), then RebuildTextIndex's batches, on a
// store already holding 2,000 indexed ones (PETREL_INDEX_PROFILE=FILE: a CPU
// profile of the batches alone). It reports
// the process's CPU time per message (user + system: the figure to
// compare on a shared machine), the index's pages per message, and the
// CPU of extracting the text alone.
func BenchmarkIndexCPU(b *testing.B) {
	ctx := context.Background()
	e := openStoreEnv(b, b.TempDir(), Options{TextExtractor: imapmsg.IndexText})
	deliver := func(from, n int) {
		for i := from; i < from+n; i++ {
			res, err := e.s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(indexBenchMessage(i, 4096))},
				[]store.Target{{Account: e.acct}})
			if err != nil || res[0].Err != nil {
				b.Fatal(err, res)
			}
		}
	}
	base := 2000
	deliver(0, base)
	if _, err := e.s.RebuildTextIndex(ctx, 0); err != nil {
		b.Fatal(err)
	}
	pages0 := e.indexPages(b)
	deliver(base, b.N)
	b.ResetTimer()
	if f := os.Getenv("PETREL_INDEX_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuTime(b)
	n, err := e.s.RebuildTextIndex(ctx, 0)
	cpu := cpuTime(b) - cpu0
	pprof.StopCPUProfile()
	b.StopTimer()
	if err != nil || n != b.N {
		b.Fatalf("indexed %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(e.indexPages(b)-pages0)*4096/float64(b.N), "index-B/msg")
	var ids []store.BlobID
	if err := e.s.rdb.QueryRow(`SELECT max(id) FROM blob_meta`).Scan(new(int64)); err != nil {
		b.Fatal(err)
	}
	rows, err := e.s.rdb.Query(`SELECT blob FROM messages ORDER BY blob DESC LIMIT ?`, b.N)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id store.BlobID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	x0 := cpuTime(b)
	for _, id := range ids {
		if t, err := e.s.blobText(ctx, id); err != nil || t == nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime(b)-x0)/float64(b.N), "extract-cpu-µs/msg")
}

// indexPages counts the pages of the full-text index's tables.
func (e *storeEnv) indexPages(tb testing.TB) int {
	var n int
	err := e.s.rdb.QueryRow(`SELECT count(*) FROM dbstat WHERE name LIKE 'text\_%' ESCAPE '\' AND name != 'text_unindexed'`).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
