package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/postgres"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// fillStore is what fill needs of a backend.
type fillStore interface {
	store.Store
	store.TextIndex
	Close() error
}

type fillOpts struct {
	driver, dir, dsn     string
	total, users         int
	bigN, popN           int
	size, batch, workers int
	queued               int
	index                bool
}

func cmdFill(args []string) error {
	var o fillOpts
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	fs.StringVar(&o.driver, "driver", "sqlite", "sqlite or postgres")
	fs.StringVar(&o.dir, "dir", "", "data directory (sqlite: the store; postgres: large bodies)")
	fs.StringVar(&o.dsn, "dsn", "", "PostgreSQL DSN (driver postgres)")
	fs.IntVar(&o.total, "total", 1_000_000, "messages in the store after the fill")
	fs.IntVar(&o.users, "users", 10_000, "accounts, big@ and pop@ included")
	fs.IntVar(&o.bigN, "big", 100_000, "messages in big@'s INBOX")
	fs.IntVar(&o.popN, "pop", 10_000, "messages in pop@'s INBOX")
	fs.IntVar(&o.size, "size", 1200, "approximate message size in octets")
	fs.IntVar(&o.batch, "batch", 250, "messages per AppendBatch")
	fs.IntVar(&o.workers, "workers", 4, "accounts filled at the same time")
	fs.IntVar(&o.queued, "queued", 1000, "held messages queued at the first fill")
	fs.BoolVar(&o.index, "index", true, "index the new messages' text before returning (as the server's indexer would)")
	fs.Parse(args)
	if o.dir == "" {
		return errors.New("-dir is required")
	}
	ctx := context.Background()
	st, err := openFill(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := setup(ctx, st, o)
	if err != nil {
		return err
	}
	if err := topUp(ctx, st, o, ids); err != nil {
		return err
	}
	if o.index {
		t0 := time.Now()
		n, err := st.RebuildTextIndex(ctx, 0)
		if err != nil {
			return err
		}
		fmt.Printf("indexed %d bodies in %.1fs (%.0f/s)\n", n, time.Since(t0).Seconds(), float64(n)/time.Since(t0).Seconds())
	}
	return nil
}

func openFill(ctx context.Context, o fillOpts) (fillStore, error) {
	switch o.driver {
	case "sqlite":
		return sqlite.Open(ctx, sqlite.Options{Dir: o.dir, WatchInterval: -1, TextExtractor: imapmsg.IndexText})
	case "postgres":
		if err := os.MkdirAll(o.dir, 0o700); err != nil {
			return nil, err
		}
		return postgres.Open(ctx, o.dsn, postgres.Options{NoListen: true, TempDir: o.dir, TextExtractor: imapmsg.IndexText})
	}
	return nil, fmt.Errorf("unknown driver %q", o.driver)
}

// account is one account to top up: its INBOX and how many messages it
// should hold.
type account struct {
	id    store.AccountID
	addr  string
	inbox store.MailboxID
	want  int
}

// setup creates the domain and the accounts that are missing (the first
// with the password's argon2id hash, the others with a copy of it), and
// queues o.queued held messages once; it returns the accounts with
// their share of o.total.
func setup(ctx context.Context, st fillStore, o fillOpts) ([]account, error) {
	if ok, err := st.HasDomain(ctx, domain); err != nil {
		return nil, err
	} else if !ok {
		if err := st.AddDomain(ctx, domain); err != nil {
			return nil, err
		}
	}
	var hash string
	if id, err := st.LookupAddress(ctx, bigUser); err == nil {
		a, err := st.Account(ctx, id)
		if err != nil {
			return nil, err
		}
		hash = a.PasswordHash
	} else {
		a, err := accounts.New(st, accounts.Options{}).AddUser(ctx, bigUser, password)
		if err != nil {
			return nil, err
		}
		hash = a.PasswordHash
		if err := queueHeld(ctx, st, o.queued); err != nil {
			return nil, err
		}
	}
	names := []string{bigUser, popUser}
	for i := 1; i <= o.users-2; i++ {
		names = append(names, userName(i))
	}
	rest := max(o.total-o.bigN-o.popN, 0)
	out := make([]account, len(names))
	t0 := time.Now()
	err := parallel(len(names), o.workers*4, func(i int) error {
		id, err := st.LookupAddress(ctx, names[i])
		if store.IsKind(err, store.KindNotFound) {
			var a store.Account
			a, err = st.CreateAccount(ctx, names[i], hash)
			id = a.ID
		}
		if err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
		mb, err := st.Mailbox(ctx, id, "INBOX")
		if err != nil {
			return err
		}
		want := rest / (len(names) - 2)
		switch {
		case i == 0:
			want = min(o.bigN, o.total)
		case i == 1:
			want = o.popN
		case i-2 < rest%(len(names)-2):
			want++
		}
		out[i] = account{id: id, addr: names[i], inbox: mb.ID, want: want}
		return nil
	})
	fmt.Printf("accounts: %d ready in %.1fs\n", len(out), time.Since(t0).Seconds())
	return out, err
}

// queueHeld queues n held messages to a remote domain: they stay in the
// queue (never tried), for the queue scan's measure.
func queueHeld(ctx context.Context, st fillStore, n int) error {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		body := message(r, "far@remote.test", i, 1200, time.Now())
		_, err := st.Enqueue(ctx, store.NewQueued{ID: fmt.Sprintf("growth%06d", i), From: bigUser, Held: true,
			Arrived: time.Now(), Body: bytes.NewReader(body),
			Rcpts: []store.QueuedRcpt{{Addr: fmt.Sprintf("far%d@remote.test", i), Domain: "remote.test"}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// topUp appends to each account's INBOX the messages it lacks (its
// message count below want), o.workers accounts at a time.
func topUp(ctx context.Context, st fillStore, o fillOpts, accts []account) error {
	var done atomic.Int64
	t0 := time.Now()
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := done.Load()
				fmt.Printf("  %d appended, %.0f msgs/s\n", n, float64(n)/time.Since(t0).Seconds())
			}
		}
	}()
	err := parallel(len(accts), o.workers, func(i int) error {
		a := accts[i]
		mb, err := st.MailboxByID(ctx, a.id, a.inbox)
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(uint64(a.id), uint64(mb.Messages)))
		for have := int(mb.Messages); have < a.want; {
			k := min(o.batch, a.want-have)
			msgs := make([]store.AppendMessage, k)
			for j := range msgs {
				n := have + j
				date := time.Unix(1_700_000_000+int64(n)*600, 0).UTC()
				var fl store.Flags
				if r.IntN(10) < 8 {
					fl = store.FlagSeen
				}
				msgs[j] = store.AppendMessage{Body: bytes.NewReader(message(r, a.addr, n, o.size, date)), Flags: fl, InternalDate: date}
			}
			if _, err := st.AppendBatch(ctx, a.id, a.inbox, msgs); err != nil {
				return fmt.Errorf("%s: %w", a.addr, err)
			}
			have += k
			done.Add(int64(k))
		}
		return nil
	})
	close(stop)
	el := time.Since(t0).Seconds()
	fmt.Printf("appended %d messages in %.1fs (%.0f msgs/s)\n", done.Load(), el, float64(done.Load())/el)
	return err
}

// parallel runs fn(0..n-1) on up to w goroutines; the first error stops
// the handing out of new indexes and is returned.
func parallel(n, w int, fn func(i int) error) error {
	w = max(1, min(w, n))
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				stopped := first != nil
				mu.Unlock()
				i := int(next.Add(1) - 1)
				if stopped || i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
