package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// imapFrom logs in over IMAP from the loopback address src (any of
// 127/8) and returns the tagged reply, or "" when the server closed the
// connection first.
func imapFrom(t *testing.T, src, addr, user, pass string) string {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil {
		return ""
	}
	fmt.Fprintf(c, "a LOGIN %s %q\r\n", user, pass)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return ""
		}
		if strings.HasPrefix(l, "a ") {
			return strings.TrimSpace(l)
		}
	}
}

// rssKiB is the resident set of process pid, from /proc.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestLoginGuessingOnServe runs the password-guessing attacks of issue 11
// against `petrel serve` over IMAP (bounded, on loopback; sources are
// distinct 127/8 addresses) and checks what each gets:
//   - behind an address trusted for the account (its owner logged in from
//     it), a guesser gets at most the pair's 10 failures plus what the
//     ordinary delays allow, not ~60 guesses per second;
//   - 40 parallel connections from one address get at most 15 checks;
//   - after that storm, the owner logs in from a new address, waiting at
//     most the 16 s account delay.
func TestLoginGuessingOnServe(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	srv := newE2EServer(t, buildPetrel(t), false)
	imapAddr := testkit.FreeAddr(t)
	cfg, err := os.ReadFile(srv.config)
	must(t, err)
	text := strings.Replace(string(cfg), "imap = []", fmt.Sprintf("imap = [%q]", imapAddr), 1)
	text += "[tls]\nallow_insecure_auth = true\n[imap]\nmax_connections_per_ip = 100\n"
	must(t, os.WriteFile(srv.config, []byte(text), 0o644))
	srv.cli("", "domain", "add", "example.org")
	srv.addUsers("alice@example.org", "bob@example.org")
	srv.start()
	defer srv.stop()

	// Trusted pair: alice logs in from 127.0.0.5, then someone there
	// guesses for 20 s.
	if r := imapFrom(t, "127.0.0.5", imapAddr, "alice@example.org", "e2e-password"); !strings.HasPrefix(r, "a OK") {
		t.Fatalf("alice's login: %q", r)
	}
	checks, refused := 0, 0
	start := time.Now()
	for time.Since(start) < 20*time.Second {
		switch r := imapFrom(t, "127.0.0.5", imapAddr, "alice@example.org", "guess"); {
		case strings.Contains(r, "[AUTHENTICATIONFAILED]"):
			checks++
		case strings.Contains(r, "[UNAVAILABLE]"):
			refused++
		default:
			t.Fatalf("guess: %q", r)
		}
	}
	el := time.Since(start)
	t.Logf("trusted-address guessing: %d password checks in %v (%.2f/s), %d attempts refused", checks, el.Round(time.Millisecond), float64(checks)/el.Seconds(), refused)
	if checks > 12 {
		t.Fatalf("a guesser behind a trusted address got %d password checks in 20 s, want at most 12", checks)
	}

	// 40 parallel connections from 127.0.0.6 guessing bob's password.
	var pchecks, prefused atomic.Int32
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			switch r := imapFrom(t, "127.0.0.6", imapAddr, "bob@example.org", "guess"); {
			case strings.Contains(r, "[AUTHENTICATIONFAILED]"):
				pchecks.Add(1)
			case strings.Contains(r, "[UNAVAILABLE]"):
				prefused.Add(1)
			default:
				t.Errorf("parallel guess: %q", r)
			}
		}()
	}
	close(gate)
	wg.Wait()
	t.Logf("40 parallel guesses from one address: %d password checks, %d refused", pchecks.Load(), prefused.Load())
	if pchecks.Load() > 15 {
		t.Fatalf("40 parallel connections got %d password checks, want at most 15", pchecks.Load())
	}

	// The owner, from a new address, after the storm.
	began := time.Now()
	if r := imapFrom(t, "127.0.0.7", imapAddr, "bob@example.org", "e2e-password"); !strings.HasPrefix(r, "a OK") {
		t.Fatalf("bob's login from a new address after the storm: %q", r)
	}
	if w := time.Since(began); w > 20*time.Second {
		t.Fatalf("bob waited %v, want at most the 16 s account delay", w)
	} else {
		t.Logf("the owner logged in from a new address after %v", w.Round(time.Millisecond))
	}
	rss := rssKiB(t, srv.cmd.Process.Pid)
	t.Logf("server RSS after the attacks: %d MiB", rss>>10)
	if rss > 512<<10 {
		t.Fatalf("server RSS %d MiB after the guessing attacks", rss>>10)
	}
}
