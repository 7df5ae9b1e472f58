package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// commitCutter proxies the PostgreSQL protocol and, when armed, forwards
// a COMMIT (of a transaction whose statements carried marker at least
// minMarks times: a batch of as many deliveries of a body holding it),
// then cuts the client off before the answer: the server commits, the
// client sees a lost connection.
type commitCutter struct {
	ln       net.Listener
	up       string
	armed    atomic.Bool
	cuts     atomic.Int32
	minMarks atomic.Int32
	marker   []byte
}

// newCommitCutter starts a proxy to dsn's server; it returns the dsn
// through the proxy.
func newCommitCutter(t *testing.T, dsn string) (*commitCutter, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &commitCutter{ln: ln, up: u.Host, marker: []byte("Subject: m\r\n")}
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *commitCutter) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *commitCutter) handle(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.up)
	if err != nil {
		return
	}
	defer s.Close()
	var cut atomic.Bool
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 && !cut.Load() {
				c.Write(buf[:n])
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}()
	// The startup message has no type octet.
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	rest := make([]byte, binary.BigEndian.Uint32(hdr[:])-4)
	if _, err := io.ReadFull(c, rest); err != nil {
		return
	}
	s.Write(append(hdr[:], rest...))
	marks := int32(0)
	for {
		var h [5]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(h[1:])-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		s.Write(append(h[:], body...))
		if h[0] == 'B' && len(p.marker) > 0 {
			marks += int32(bytes.Count(body, p.marker))
		}
		if h[0] != 'Q' || !strings.HasPrefix(strings.ToLower(string(body)), "commit") {
			continue
		}
		enough := marks >= p.minMarks.Load()
		marks = 0
		if enough && p.armed.CompareAndSwap(true, false) {
			cut.Store(true)
			p.cuts.Add(1)
			time.Sleep(300 * time.Millisecond) // the server commits
			return
		}
	}
}

// A connection lost after COMMIT was sent: the outcome is unknown, so
// the writes fail temporarily (the client retries) and are never run
// again by the store, which would store them twice; this node's
// subscribers resynchronise.
func TestCommitLost(t *testing.T) {
	dsn, direct, acct := oneAccount(t)
	p, proxied := newCommitCutter(t, dsn)
	ctx := context.Background()
	s, err := Open(ctx, proxied, Options{MaxConns: 8, Writers: 1, NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// A single write.
	p.armed.Store(true)
	_, err = s.Enqueue(ctx, store.NewQueued{ID: "q1", From: "a@example.org", Body: bytes.NewReader([]byte("x\r\n")),
		Rcpts: []store.QueuedRcpt{{Index: 0, Addr: "r@remote.example", Domain: "remote.example"}}})
	if p.cuts.Load() != 1 {
		t.Fatalf("the proxy cut %d commits, want 1", p.cuts.Load())
	}
	if k := store.KindOf(err); err == nil || k != store.KindTemporary {
		t.Errorf("enqueue whose commit was lost: %v (%v), want a temporary error", err, k)
	}
	if n := countRows(t, direct, `SELECT count(*) FROM queue`); n != 1 {
		t.Errorf("%d queued messages, want 1 (committed once)", n)
	}

	// A batch of concurrent deliveries.
	sub := s.Subscribe(acct.ID)
	defer sub.Close()
	p.minMarks.Store(3)
	const k = 40
	var wg sync.WaitGroup
	results := make([]error, k)
	start := make(chan struct{})
	for i := range k {
		wg.Go(func() {
			<-start
			res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("m"))}, []store.Target{{Account: acct.ID}})
			if err == nil {
				err = res[0].Err
			}
			results[i] = err
		})
	}
	p.armed.Store(true)
	close(start)
	wg.Wait()
	if p.cuts.Load() != 2 {
		t.Fatalf("the proxy cut %d commits, want 2", p.cuts.Load())
	}
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		} else if store.KindOf(err) != store.KindTemporary {
			t.Errorf("delivery whose commit was lost: %v, want a temporary error", err)
		}
	}
	msgs := countRows(t, direct, `SELECT count(*) FROM messages`)
	used := countRows(t, direct, `SELECT used_messages FROM accounts WHERE id = $1`, acct.ID)
	t.Logf("deliveries: %d reported stored, %d failed; %d stored", ok, k-ok, msgs)
	if msgs > k || used != msgs {
		t.Errorf("%d messages stored (account counts %d) for %d deliveries", msgs, used, k)
	}
	if msgs < int64(ok) {
		t.Errorf("%d messages stored, %d deliveries reported stored", msgs, ok)
	}
	if ok == k {
		t.Errorf("every delivery reported stored, though a commit was cut")
	}
	select {
	case <-sub.C():
		if _, overflow := sub.Events(); !overflow {
			t.Errorf("the subscriber was not told to resynchronise after the unknown outcome")
		}
	case <-time.After(time.Second):
		t.Errorf("the subscriber was not signalled")
	}
}
