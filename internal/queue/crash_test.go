package queue

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

const crashDirEnv = "PETREL_QUEUE_CRASH_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
	}
	os.Exit(m.Run())
}

// printSender "delivers" by printing SENT lines.
type printSender struct{ mu *sync.Mutex }

func (p printSender) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	var out []smtpclient.Result
	for _, r := range m.Rcpts {
		p.mu.Lock()
		fmt.Printf("SENT %s\n", r.Addr)
		p.mu.Unlock()
		out = append(out, smtpclient.Result{Rcpt: r.Addr, Reply: smtpreply.OK("ok"), RemoteMTA: "mx." + domain})
	}
	return out
}

// crashChild enqueues and delivers until it is killed, printing ACK for
// every message Enqueue acknowledged and SENT for every delivery.
func crashChild(dir string) {
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	svc := New(Config{Hostname: "h.example", MaxActive: 8}, Deps{Store: st, Sender: printSender{&mu},
		Log: slog.New(slog.DiscardHandler)})
	go svc.Run(context.Background())
	for w := 0; w < 8; w++ {
		go func() {
			for i := 0; ; i++ {
				addr := fmt.Sprintf("w%d-%d@d%d.example", w, i, i%5)
				a, _ := mailaddr.Parse(addr)
				from, _ := mailaddr.Parse("a@example.org")
				if _, err := svc.Enqueue(context.Background(), &envelope.Envelope{From: from},
					strings.NewReader(testMsg), int64(len(testMsg)), []envelope.Recipient{{Addr: a}}); err != nil {
					continue
				}
				mu.Lock()
				fmt.Printf("ACK %s\n", addr)
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestCrash SIGKILLs a child that queues and delivers, then checks that
// every acknowledged message is delivered or still queued, that the
// messages the child had claimed wait for their leases to run out, and that
// a restart re-sends at most the deliveries in flight at the kill.
func TestCrash(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("PETREL_HEAVY=1 runs the kill -9 test")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	acked, sent := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		kind, addr, _ := strings.Cut(sc.Text(), " ")
		if kind == "ACK" {
			acked[addr] = true
		} else {
			sent[addr] = true
		}
		if len(acked) == 2000 {
			cmd.Process.Kill()
		}
	}
	cmd.Wait()
	f := newFixture(t)
	f.st.Close()
	f.st = testkit.OpenStore(t, dir)
	f.svc.d.Store = f.st
	// The killed process's claims hold its messages in flight until
	// their leases run out: first everything else goes, then those.
	f.clk.Set(time.Now())
	run := func() {
		for i := 0; i < 3000; i++ {
			n := len(f.snd.calls)
			if f.step(); len(f.snd.calls) == n {
				return
			}
		}
	}
	run()
	held, err := f.st.QueuedMessages(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range held {
		if m.ClaimOwner == "" || m.ClaimOwner == f.svc.cfg.Owner {
			t.Fatalf("message %s left in the queue, claimed by %q", m.ID, m.ClaimOwner)
		}
	}
	if len(held) > 8 { // MaxActive
		t.Fatalf("%d messages held by the killed process, more than it could have in flight", len(held))
	}
	f.clk.Add(DefaultLease + time.Second)
	run()
	if left, _ := f.st.QueuedMessages(f.ctx); len(left) != 0 {
		t.Fatalf("%d messages still queued after the killed process's leases ran out", len(left))
	}
	resent := 0
	for _, c := range f.snd.calls {
		_, addr, _ := strings.Cut(c, ":")
		if sent[addr] {
			resent++
		}
		sent[addr] = true
	}
	for addr := range acked {
		if !sent[addr] {
			t.Fatalf("acknowledged %s was lost", addr)
		}
	}
	if resent > 8 { // MaxActive: at most the deliveries in flight
		t.Fatalf("%d deliveries re-sent after the restart, more than were in flight", resent)
	}
	t.Logf("%d acknowledged, %d held by the killed process, %d re-sent after SIGKILL", len(acked), len(held), resent)
}
