package pop3d

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// secondNode starts another server on its own store instance over the
// same database (another node) and returns a dial function for it.
func (e *env) secondNode(cfg Config) func() *client {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: e.dir})
	if err != nil {
		e.t.Fatal(err)
	}
	auth := accounts.New(st, accounts.Options{HashConcurrency: 2,
		Argon: &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
	srv := New(cfg, Deps{Store: st, Auth: auth})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go srv.Serve(ln)
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		st.Close()
	})
	return func() *client {
		e.t.Helper()
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			e.t.Fatal(err)
		}
		return e.greet(c)
	}
}

// TestInUseAcrossServers: two servers on one store instance (not pop3
// and pop3s of one Server) share the maildrop lock.
func TestInUseAcrossServers(t *testing.T) {
	e := newEnv(t, nil)
	other := New(e.cfg, e.deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go other.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		other.Shutdown(ctx)
	})
	first := e.login()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	second := e.greet(c)
	second.cmd("USER "+testUser, "+OK")
	second.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	first.cmd("QUIT", "+OK")
	first.Closed()
	second.cmd("USER "+testUser, "+OK")
	second.cmd("PASS "+testPass, "+OK")
}

// TestInUseAcrossNodes: two servers, each with its own store instance
// over one database, share the maildrop lock (RFC 1939 §8, RFC 2449
// §8.1.1).
func TestInUseAcrossNodes(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	dialB := e.secondNode(e.cfg)
	first := e.login()
	onB := dialB()
	onB.cmd("USER "+testUser, "+OK")
	onB.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	first.cmd("DELE 1", "+OK")
	first.cmd("QUIT", "+OK")
	first.Closed()
	onB.cmd("USER "+testUser, "+OK")
	onB.cmd("PASS "+testPass, "+OK Maildrop has 0 messages")
	// Now node A refuses.
	again := e.dial()
	again.cmd("USER "+testUser, "+OK")
	again.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	onB.cmd("QUIT", "+OK")
}

// TestExpiredLockTakenOver: the lock of a node that crashed (never
// renewed, never released) refuses logins until its lease ends, then a
// login takes it over.
func TestExpiredLockTakenOver(t *testing.T) {
	e := newEnv(t, nil)
	const lease = 1500 * time.Millisecond // generous: the login below must come within it
	taken := time.Now()
	if ok, err := e.st.TryLock(context.Background(), lockName(e.acct.ID), "pop3 crashed-node", lease); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	time.Sleep(time.Until(taken.Add(lease + 50*time.Millisecond)))
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK")
	cl.cmd("QUIT", "+OK")
}

// TestLockRenewed: a session idle for several leases keeps its lock;
// another node is still refused.
func TestLockRenewed(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.LockLease = 150 * time.Millisecond })
	dialB := e.secondNode(e.cfg)
	first := e.login()
	time.Sleep(4 * e.cfg.LockLease)
	onB := dialB()
	onB.cmd("USER "+testUser, "+OK")
	onB.cmd("PASS "+testPass, "-ERR [IN-USE] ")
	first.cmd("STAT", "+OK")
	first.cmd("QUIT", "+OK")
	onB.cmd("USER "+testUser, "+OK")
	onB.cmd("PASS "+testPass, "+OK")
}

// losingStore is a store whose lock renewals fail as not held once lose
// is set: another node took the lock over.
type losingStore struct {
	*sqlite.Store
	lose atomic.Bool
}

func (s *losingStore) RenewLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	if s.lose.Load() {
		return store.Errorf(store.KindNotFound, "renew lock", "taken over")
	}
	return s.Store.RenewLock(ctx, name, owner, ttl)
}

// TestLockLostEndsSession: a session that lost its lock ends at its next
// command, QUIT included, without deleting what it marked.
func TestLockLostEndsSession(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.LockLease = 150 * time.Millisecond })
	ls := &losingStore{Store: e.st}
	e.stop()
	e.deps.Store = ls
	e.srv = New(e.cfg, e.deps)
	e.listen()
	e.deliver(testMessage(1))
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	ls.lose.Store(true)
	time.Sleep(3 * e.cfg.LockLease)
	cl.cmd("QUIT", "-ERR [SYS/TEMP] Maildrop lock lost")
	cl.Closed()
	if n := len(e.messages()); n != 1 {
		t.Fatalf("%d messages after a session that lost its lock quit, want 1 (no UPDATE)", n)
	}
}

// TestExpungeAcrossNodes: a message expunged through another node leaves
// the session's STAT (the store's change feed carries other processes'
// commits).
func TestExpungeAcrossNodes(t *testing.T) {
	e := newEnv(t, nil)
	d := e.deliver(testMessage(1))
	e.deliver(testMessage(2))
	dialB := e.secondNode(e.cfg)
	cl := dialB()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK Maildrop has 2 messages")
	if _, err := e.st.Expunge(context.Background(), d.Mailbox, []store.UID{d.UID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l := cl.cmd("STAT", "+OK"); strings.HasPrefix(l, "+OK 1 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("STAT on node 2 still counts a message 10 s after it was expunged on node 1")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cl.cmd("RETR 1", "-ERR Message was deleted by another client")
	cl.cmd("QUIT", "+OK")
}
