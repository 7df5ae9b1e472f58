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
	e := &env{t: b, b: be, instance: be.NewInstance(b), ctx: context.Background()}
	e.open()
	defer e.s.Close()
	if err := e.s.AddDomain(e.ctx, "example.org"); err != nil {
		b.Fatal(err)
	}
	ids := make([]store.AccountID, accounts)
	for i := range ids {
		ids[i] = e.account(fmt.Sprintf("user%d", i)).ID
	}
	body := msg("bench", size)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	b.SetBytes(int64(len(body)))
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
				t0 := time.Now()
				res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)},
					[]store.Target{{Account: ids[i%len(ids)]}})
				if err == nil {
					err = res[0].Err
				}
				if err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t0)
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
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkAppend measures durable single-message AppendBatch calls (IMAP
// APPEND) of size-byte messages from `concurrency` goroutines into the
// INBOXes of `accounts` accounts, and reports msgs/s.
func BenchmarkAppend(b *testing.B, be Backend, size, concurrency, accounts int) {
	e := &env{t: b, b: be, instance: be.NewInstance(b), ctx: context.Background()}
	e.open()
	defer e.s.Close()
	if err := e.s.AddDomain(e.ctx, "example.org"); err != nil {
		b.Fatal(err)
	}
	type box struct {
		acct store.AccountID
		mb   store.MailboxID
	}
	boxes := make([]box, accounts)
	for i := range boxes {
		a := e.account(fmt.Sprintf("user%d", i)).ID
		boxes[i] = box{a, e.mailbox(a, store.InboxName).ID}
	}
	body := msg("bench", size)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	b.SetBytes(int64(len(body)))
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
				bx := boxes[i%len(boxes)]
				if _, err := e.s.AppendBatch(e.ctx, bx.acct, bx.mb, []store.AppendMessage{{Body: bytes.NewReader(body)}}); err != nil {
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
