package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

type acked struct {
	mailbox store.MailboxID
	uid     store.UID
	sum     [32]byte
}

// TestServerRestart: PostgreSQL stopped under load and started again.
// While it is down every delivery fails with a temporary error (a 4xx),
// none reports success; afterwards the same Store delivers again without
// being reopened, every acknowledged delivery is there byte for byte, and
// another node's subscriber is told to resynchronise and then hears new
// mail.
func TestServerRestart(t *testing.T) {
	srv := testkit.StartPostgres(t)
	a, err := openTest(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openTest(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := a.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	acct, err := a.CreateAccount(ctx, "u@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	sub := b.Subscribe(acct.ID)
	defer sub.Close()

	var mu sync.Mutex
	var acks []acked
	var fails, oks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := testMsg(fmt.Sprintf("w%d-%d", w, i))
				dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				res, err := a.Deliver(dctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: acct.ID}})
				cancel()
				if err == nil {
					err = res[0].Err
				}
				if err != nil {
					if k := store.KindOf(err); k != store.KindTemporary {
						t.Errorf("delivery with the database down: kind %v (%v), want temporary", k, err)
					}
					fails.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				oks.Add(1)
				mu.Lock()
				acks = append(acks, acked{res[0].Mailbox, res[0].UID, sha256.Sum256(body)})
				mu.Unlock()
			}
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("deliveries before the stop", func() bool { return oks.Load() >= 50 })
	srv.Stop()
	before := oks.Load()
	waitFor("failures while the database is down", func() bool { return fails.Load() >= 20 })
	if n := oks.Load(); n > before+8 {
		t.Errorf("%d deliveries succeeded after the database stopped", n-before)
	}
	srv.Start()
	restarted := oks.Load()
	waitFor("deliveries after the restart", func() bool { return oks.Load() >= restarted+50 })
	close(stop)
	wg.Wait()
	t.Logf("%d deliveries acknowledged, %d refused as temporary", oks.Load(), fails.Load())

	for _, k := range acks {
		ms, err := a.Messages(ctx, k.mailbox, k.uid, k.uid)
		if err != nil || len(ms) != 1 {
			t.Fatalf("acknowledged message %d/%d missing: %v", k.mailbox, k.uid, err)
		}
		bl, err := a.OpenBlob(ctx, ms[0].Blob)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(bl)
		bl.Close()
		if sha256.Sum256(buf.Bytes()) != k.sum {
			t.Fatalf("acknowledged message %d/%d differs", k.mailbox, k.uid)
		}
	}
	resynced := false
	for deadline := time.After(10 * time.Second); !resynced; {
		select {
		case <-sub.C():
			_, resynced = sub.Events()
		case <-deadline:
			t.Fatal("the other node's subscriber was not told to resynchronise after the restart")
		}
	}
	res, err := a.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("after"))}, []store.Target{{Account: acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Deliver after the restart: %v %v", err, res)
	}
	for deadline := time.After(5 * time.Second); ; {
		select {
		case <-sub.C():
			ev, _ := sub.Events()
			for _, e := range ev {
				if e.Mailbox == res[0].Mailbox && len(e.UIDs) == 1 && e.UIDs[0] == res[0].UID {
					return
				}
			}
		case <-deadline:
			t.Fatal("the other node's subscriber did not hear of a delivery after the restart")
		}
	}
}
