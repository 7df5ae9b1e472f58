package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// Parameters of TestSMTPKillDuringLoad.
const (
	crashUsers       = 10
	crashClients     = 16
	crashAcksBefore  = 300              // SIGKILL after this many 250s
	crashLoadTimeout = 90 * time.Second // to reach crashAcksBefore
)

// crashSent is a message that got 250 after DATA.
type crashSent struct {
	rcpt string
	msg  []byte
}

// crashMessage builds a unique message: its Message-ID and body are
// derived from id and random bytes; some lines start with dots (stuffed on
// the wire), and one message in 20 is over 256 KiB (a body file of its
// own in the SQLite store rather than a row).
func crashMessage(rng *rand.Rand, id, rcpt string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <load@client.test>\r\nTo: <%s>\r\nSubject: load %s\r\n", rcpt, id)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s>\r\n\r\n", time.Now().Format(time.RFC1123Z), id)
	size := 200 + rng.IntN(8000)
	if rng.IntN(20) == 0 {
		size = 300<<10 + rng.IntN(10000)
	}
	fmt.Fprintf(&b, "body of %s\r\n.a line with a leading dot\r\n..two dots\r\n", id)
	raw := make([]byte, 57)
	for b.Len() < size {
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		b.WriteString(base64.StdEncoding.EncodeToString(raw))
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "end of %s\r\n", id)
	return b.Bytes()
}

// TestSMTPKillDuringLoad kills the server (SIGKILL) while 16 clients send
// mail, restarts it on the same data directory, and checks that every
// message that got 250 after DATA is in its recipient's INBOX, byte for
// byte (docs/architecture.md §Durability).
func TestSMTPKillDuringLoad(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	srv := newE2EServer(t, buildPetrel(t), false)
	srv.cli("", "domain", "add", "example.org")
	users := make([]string, crashUsers)
	for i := range users {
		users[i] = fmt.Sprintf("user%d@example.org", i)
	}
	srv.addUsers(users...)
	srv.start()

	run := rand.Uint64() // tells this run's messages from any other's
	var (
		mu       sync.Mutex
		acked    = make(map[string]crashSent) // by Message-ID
		attempts atomic.Int64
		ackCount atomic.Int64
		killed   atomic.Bool
		enough   = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
		errMu    sync.Mutex
		preKill  []string // errors before the kill: the server must not fail
	)
	for c := range crashClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(run, uint64(c)))
			var cl *smtp.Client
			defer func() {
				if cl != nil {
					cl.Close()
				}
			}()
			for n := 0; !killed.Load(); n++ {
				if cl == nil {
					var err error
					if cl, err = smtp.Dial(srv.smtp); err == nil {
						err = cl.Hello("client.test")
					}
					if err != nil {
						if !killed.Load() {
							errMu.Lock()
							preKill = append(preKill, fmt.Sprintf("client %d: connect: %v", c, err))
							errMu.Unlock()
						}
						cl = nil
						return
					}
				}
				id := fmt.Sprintf("load-%x-%d-%d@client.test", run, c, n)
				rcpt := users[rng.IntN(len(users))]
				msg := crashMessage(rng, id, rcpt)
				attempts.Add(1)
				if err := e2eTransaction(cl, "load@client.test", []string{rcpt}, msg); err != nil {
					if !killed.Load() {
						errMu.Lock()
						preKill = append(preKill, fmt.Sprintf("client %d message %s: %v", c, id, err))
						errMu.Unlock()
					}
					cl.Close()
					cl = nil
					continue
				}
				mu.Lock()
				acked[id] = crashSent{rcpt, msg}
				mu.Unlock()
				if ackCount.Add(1) >= crashAcksBefore {
					once.Do(func() { close(enough) })
				}
				// Some sessions carry several messages, others one.
				if rng.IntN(4) == 0 {
					cl.Quit()
					cl = nil
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(crashLoadTimeout):
		killed.Store(true)
		srv.kill()
		wg.Wait()
		t.Fatalf("only %d messages acknowledged in %v; errors: %q\n%s",
			ackCount.Load(), crashLoadTimeout, preKill, srv.log.String())
	}
	killed.Store(true) // first, so that the errors the kill causes are not counted
	srv.kill()
	wg.Wait()
	errMu.Lock()
	if len(preKill) > 0 {
		t.Errorf("%d failures before the kill, e.g. %q", len(preKill), preKill[0])
	}
	errMu.Unlock()
	t.Logf("killed after %d acknowledged of %d attempted messages", len(acked), attempts.Load())

	// The restarted server accepts mail again.
	srv.start()
	afterID := fmt.Sprintf("after-restart-%x@client.test", run)
	after := crashMessage(rand.New(rand.NewPCG(run, 999)), afterID, users[0])
	if err := e2eSend(srv.smtp, "client.test", "load@client.test", []string{users[0]}, after); err != nil {
		t.Fatalf("after the restart: %v\n%s", err, srv.log.String())
	}
	acked[afterID] = crashSent{users[0], after}
	srv.stop()

	inboxes := e2eReadInboxes(t, srv.dataDir, users)
	found := make(map[string]int)
	stored := 0
	for _, u := range users {
		for _, m := range inboxes[u] {
			stored++
			id := strings.Trim(m.messageID, "<>")
			if !strings.Contains(id, fmt.Sprintf("-%x", run)) {
				t.Errorf("%s UID %d: unknown Message-ID %q", u, m.uid, m.messageID)
				continue
			}
			found[id]++
			sent, ok := acked[id]
			if !ok {
				continue // sent when the server died, never acknowledged: may or may not be there
			}
			if sent.rcpt != u {
				t.Errorf("%s is in the INBOX of %s, sent to %s", id, u, sent.rcpt)
				continue
			}
			trace, rest, err := e2eSplitTrace(m.raw)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			if !bytes.Equal(rest, sent.msg) {
				t.Errorf("%s: stored message (after the trace fields) differs from the one sent: %d bytes, sent %d",
					id, len(rest), len(sent.msg))
			}
			if !strings.Contains(trace, "Return-Path: <load@client.test>\r\n") ||
				!strings.Contains(trace, "by mail.example.org (Petrel) with ESMTP") ||
				!strings.Contains(trace, "for <"+u+">") {
				t.Errorf("%s: trace fields %q", id, trace)
			}
		}
	}
	missing := 0
	for id, sent := range acked {
		switch n := found[id]; {
		case n == 0:
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged message %s for %s is not in the mailbox", id, sent.rcpt)
			}
		case n > 1:
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged messages are missing", missing, len(acked))
	}
	t.Logf("%d acknowledged (with the one after the restart), %d stored", len(acked), stored)
}

// Parameters of BenchmarkSMTPEndToEnd (issue 3, "Performance").
const (
	benchClients  = 20
	benchAccounts = 100
	benchMsgSize  = 4096
)

// BenchmarkSMTPEndToEnd runs the server in-process on a loopback SMTP
// listener and has 20 concurrent go-smtp clients send 4 KiB messages to 100
// accounts, round-robin. It reports messages/s from the first connect to
// the last 250 after DATA; each 250 means the message is durable in its
// INBOX, and the total is checked in the store at the end.
//
//	go test -run x -bench SMTPEndToEnd ./cmd/petrel/
func BenchmarkSMTPEndToEnd(b *testing.B) {
	ctx := context.Background()
	dataDir := filepath.Join(b.TempDir(), "data")
	users := make([]string, benchAccounts)
	st := testkit.OpenStore(b, dataDir)
	// Cheap password hashes: the accounts only receive mail here.
	svc := testkit.Accounts(st, accounts.Options{})
	if err := svc.AddDomain(ctx, "bench.test"); err != nil {
		b.Fatal(err)
	}
	for i := range users {
		users[i] = fmt.Sprintf("bench%d@bench.test", i+1)
		if _, err := svc.AddUser(ctx, users[i], "bench-password"); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}

	smtpAddr := testkit.FreeAddr(b)
	config := filepath.Join(b.TempDir(), "petrel.toml")
	if err := os.WriteFile(config, []byte(e2eConfig(dataDir, smtpAddr, "", testkit.FreeAddr(b))), 0o644); err != nil {
		b.Fatal(err)
	}
	noDemoListeners(b, config)
	var log testkit.LogBuffer
	ready := make(chan struct{})
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &log,
		onReady: func([]net.Addr) { close(ready) }}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	exited := make(chan int, 1)
	go func() { exited <- a.run(sctx, []string{"serve", "--config", config}) }()
	select {
	case <-ready:
	case code := <-exited:
		b.Fatalf("serve exited with %d:\n%s", code, log.String())
	case <-time.After(30 * time.Second):
		b.Fatalf("serve did not start:\n%s", log.String())
	}
	if err := e2eGreets(smtpAddr); err != nil {
		b.Fatalf("SMTP listener %s (is it wired into serve?): %v\n%s", smtpAddr, err, log.String())
	}

	var acked atomic.Int64
	b.Run("new-connection", func(b *testing.B) { benchSMTPLoad(b, smtpAddr, users, false, &acked) })
	b.Run("reuse-connection", func(b *testing.B) { benchSMTPLoad(b, smtpAddr, users, true, &acked) })

	stop()
	select {
	case code := <-exited:
		if code != 0 {
			b.Fatalf("serve exited with %d:\n%s", code, log.String())
		}
	case <-time.After(15 * time.Second):
		b.Fatalf("serve did not stop:\n%s", log.String())
	}
	st = testkit.OpenStore(b, dataDir)
	defer st.Close()
	var stored int64
	for _, u := range users {
		id, err := st.LookupAddress(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		q, err := st.Quota(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		stored += q.UsedMessages
	}
	if stored != acked.Load() {
		b.Errorf("%d messages acknowledged, %d stored", acked.Load(), stored)
	}
}

// benchSMTPLoad sends b.N messages with benchClients clients: a new
// connection per message (as smtp-source does by default), or one
// connection per client for all its messages (smtp-source -d).
func benchSMTPLoad(b *testing.B, addr string, users []string, reuse bool, acked *atomic.Int64) {
	run := rand.Uint64()
	header := "From: <bench@client.test>\r\nSubject: benchmark\r\nMessage-ID: <%016x-%010d@client.test>\r\n\r\n"
	line := strings.Repeat("x", 76) + "\r\n"
	n := benchMsgSize - len(fmt.Sprintf(header, run, 0)) // fixed width: every message is benchMsgSize bytes
	body := strings.Repeat(line, n/len(line)) + strings.Repeat("y", n%len(line)-2) + "\r\n"
	var (
		next     atomic.Int64
		errMu    sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	b.SetBytes(benchMsgSize)
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			defer func() {
				if c != nil {
					c.Quit()
				}
			}()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if c == nil {
					var err error
					if c, err = smtp.Dial(addr); err == nil {
						err = c.Hello("client.test")
					}
					if err != nil {
						fail(err)
						return
					}
				}
				msg := fmt.Sprintf(header, run, i) + body
				if err := e2eTransaction(c, "bench@client.test", []string{users[i%int64(len(users))]}, []byte(msg)); err != nil {
					fail(err)
					return
				}
				acked.Add(1)
				if !reuse {
					if err := c.Quit(); err != nil {
						fail(err)
						return
					}
					c = nil
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
