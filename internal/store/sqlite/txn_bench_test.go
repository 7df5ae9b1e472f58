package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// BenchmarkDeliverBatch is a delivery's whole durable write, fsync
// included, by the number of deliveries that share a group commit: the
// writer's cost per message falls as the batch grows (the pages that
// every delivery changes, the mailbox's and the account's rows, the
// B-trees' last leaves, are written and synced once per commit). It
// reports the process's CPU per message (utime + stime: the wall time
// is the disk's) beside ns/op. docs/benchmarks.md §SMTP intake profile
// (issue 21) compares it with the batches the SMTP benchmark makes.
func BenchmarkDeliverBatch(b *testing.B) {
	for _, batch := range []int{1, 2, 4, 8, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchDeliverBatch(b, batch) })
	}
}

func benchDeliverBatch(b *testing.B, batch int) {
	ctx := context.Background()
	// No watcher: its look is a writer op, which must not run beside the
	// batches run here on the writer's connection.
	e := openStoreEnv(b, b.TempDir(), Options{WatchInterval: -1})
	s := e.s
	other, err := s.CreateAccount(ctx, "u1@example.org", "h")
	if err != nil {
		b.Fatal(err)
	}
	accts := []store.AccountID{e.acct, other.ID}
	text := strings.Repeat("body line of a small message, about 4 KiB in all\r\n", 80)
	now := time.Now()
	b.ResetTimer()
	c0 := cpuTime(b)
	for i := 0; i < b.N; i += batch {
		var ops []*op
		for j := i; j < i+batch && j < b.N; j++ {
			body := fmt.Sprintf("From: a@example.com\r\nSubject: s\r\nMessage-ID: <%d@x>\r\n\r\n%s", j, text)
			bd, err := s.intakeMail(strings.NewReader(body), nil)
			if err != nil {
				b.Fatal(err)
			}
			targets := []store.Target{{Account: accts[j%len(accts)]}}
			ops = append(ops, &op{name: "deliver", done: make(chan error, 1), keepsDir: true, fn: func(t *txn) error {
				_, err := t.deliver(bd, targets, now, make([]store.Delivered, 1))
				return err
			}})
		}
		errs, _ := s.w.runBatch(ops)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric((cpuTime(b)-c0)/float64(b.N), "cpu-us/msg")
}

// BenchmarkReadAfterCommit is what a read transaction costs on a
// database that was just written, against one that was not: SQLite
// reloads a connection's page cache in the first read after another
// connection's commit, which is why the directory cache (dircache.go)
// keeps the answers a delivery reads. The lookups go around the cache
// (the read pool directly); the op between them is a delivery.
func BenchmarkReadAfterCommit(b *testing.B) {
	for _, commit := range []bool{true, false} {
		b.Run(fmt.Sprintf("commit=%v", commit), func(b *testing.B) {
			ctx := context.Background()
			e := openStoreEnv(b, b.TempDir(), Options{})
			s := e.s
			body := "From: a@example.com\r\nSubject: s\r\n\r\n" + strings.Repeat("line of text\r\n", 300)
			var reads float64
			for i := 0; i < b.N; i++ {
				if commit {
					if _, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader(body)}, []store.Target{{Account: e.acct}}); err != nil {
						b.Fatal(err)
					}
				}
				c0 := cpuTime(b)
				var n int
				var id store.AccountID
				if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM domains WHERE name = ?`, "example.org").Scan(&n); err != nil {
					b.Fatal(err)
				}
				if err := s.rdb.QueryRowContext(ctx, `SELECT account FROM addresses WHERE address = ?`, "alice@example.org").Scan(&id); err != nil {
					b.Fatal(err)
				}
				reads += cpuTime(b) - c0
			}
			b.ReportMetric(reads/float64(b.N), "cpu-us/2-reads")
		})
	}
}
