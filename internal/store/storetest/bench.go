package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// BenchmarkDeliver measures durable deliveries of size-byte messages from
// `concurrency` goroutines into `accounts` accounts, and reports msgs/s and
// the p50/p99 latency of one delivery.
func BenchmarkDeliver(b *testing.B, be Backend, size, concurrency, accounts int) {
	e, accts := benchEnv(b, be, accounts)
	defer e.s.Close()
	body := msg("bench", size)
	lat := make([]time.Duration, b.N)
	b.SetBytes(int64(len(body)))
	runParallel(b, concurrency, func(i int) error {
		t0 := time.Now()
		res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)},
			[]store.Target{{Account: accts[i%len(accts)].ID}})
		if err == nil {
			err = res[0].Err
		}
		lat[i] = time.Since(t0)
		return err
	})
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkAppend measures durable single-message AppendBatch calls (IMAP
// APPEND) of size-byte messages from `concurrency` goroutines into the
// INBOXes of `accounts` accounts, and reports msgs/s.
func BenchmarkAppend(b *testing.B, be Backend, size, concurrency, accounts int) {
	e, accts := benchEnv(b, be, accounts)
	defer e.s.Close()
	inboxes := make([]store.MailboxID, len(accts))
	for i, a := range accts {
		inboxes[i] = e.mailbox(a.ID, store.InboxName).ID
	}
	body := msg("bench", size)
	b.SetBytes(int64(len(body)))
	runParallel(b, concurrency, func(i int) error {
		k := i % len(accts)
		_, err := e.s.AppendBatch(e.ctx, accts[k].ID, inboxes[k], []store.AppendMessage{{Body: bytes.NewReader(body)}})
		return err
	})
}

// benchEnv opens a fresh instance with a domain and n accounts.
func benchEnv(b *testing.B, be Backend, n int) (*env, []store.Account) {
	e := &env{t: b, b: be, instance: be.NewInstance(b), ctx: context.Background()}
	e.open()
	if err := e.s.AddDomain(e.ctx, "example.org"); err != nil {
		e.s.Close()
		b.Fatal(err)
	}
	accts := make([]store.Account, n)
	for i := range accts {
		accts[i] = e.account(fmt.Sprintf("user%d", i))
	}
	return e, accts
}

// runParallel calls fn(i) for i in [0, b.N) from `concurrency`
// goroutines, fails the benchmark on the first error, and reports msgs/s.
func runParallel(b *testing.B, concurrency int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
