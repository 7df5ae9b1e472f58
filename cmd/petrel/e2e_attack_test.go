package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestAttacksOnServe runs the SMTP attacks of issue 11 against `petrel
// serve` (bounded, on loopback) and checks the server's answers and its
// log: a client trickling DATA is cut at its deadline, a harvesting
// session gets 20 refusals and 421, reconnecting does not start it afresh,
// and the log stays a few lines long (before: 5,000 refusals in 0.8 s and
// a log line each). bench/smtpattack.sh measures the same at full size.
func TestAttacksOnServe(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	srv := newE2EServer(t, buildPetrel(t), false)
	cfg, err := os.ReadFile(srv.config)
	must(t, err)
	text := strings.Replace(string(cfg), "[smtp]\n", "[smtp]\ndata_timeout = \"2s\"\nrcpt_error_sleep = \"100ms\"\n", 1)
	text = strings.Replace(text, `level = "warn"`, `level = "info"`, 1)
	must(t, os.WriteFile(srv.config, []byte(text), 0o644))
	srv.cli("", "domain", "add", "example.org")
	srv.addUsers("rcpt@example.org")
	srv.start()
	defer srv.stop()

	// Slowloris: one octet every 500 ms after DATA.
	c := attackConn(t, srv.smtp)
	c.Ask("MAIL FROM:<a@remote.example>", "250")
	c.Ask("RCPT TO:<rcpt@example.org>", "250")
	c.Ask("DATA", "354")
	began := time.Now()
	go func() {
		for range 60 {
			if _, err := c.C.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	if l := c.Line(); !strings.HasPrefix(l, "421 4.4.2") {
		t.Fatalf("slow DATA: %q", l)
	}
	if el := time.Since(began); el > 10*time.Second {
		t.Fatalf("the slow client held its connection %v (data_timeout 2s)", el)
	}

	// Harvesting: 5,000 RCPTs of unknown users, pipelined.
	before := strings.Count(srv.log.String(), "\n")
	c = attackConn(t, srv.smtp)
	c.Ask("MAIL FROM:<a@remote.example>", "250")
	go func() {
		w := bufio.NewWriter(c.C)
		for i := range 5000 {
			fmt.Fprintf(w, "RCPT TO:<user%d@example.org>\r\n", i)
		}
		w.Flush()
	}()
	codes := map[string]int{}
	for {
		l, err := c.R.ReadString('\n')
		if err != nil {
			break
		}
		codes[l[:min(9, len(l))]]++
	}
	if codes["550 5.1.1"] != 20 || codes["421 4.7.0"] != 1 || len(codes) != 2 {
		t.Fatalf("harvesting session answered %v", codes)
	}
	// A new connection from the same address is cut at its first RCPT,
	// even for a valid address.
	c = attackConn(t, srv.smtp)
	c.Ask("MAIL FROM:<a@remote.example>", "250")
	c.Ask("RCPT TO:<rcpt@example.org>", "421 4.7.0")
	time.Sleep(200 * time.Millisecond)
	logs := srv.log.String()
	if n := strings.Count(logs, "\n") - before; n > 10 {
		t.Fatalf("the harvest wrote %d log lines:\n%s", n, logs)
	}
	if !strings.Contains(logs, "rejected=20") {
		t.Fatalf("no summary line:\n%s", logs)
	}
}

// attackConn connects to an SMTP server and says HELO, with one
// deadline, 2 minutes away, for the whole connection.
func attackConn(t *testing.T, addr string) *testkit.Conn {
	t.Helper()
	c := testkit.Dial(t, addr)
	c.Timeout = 0
	c.C.SetDeadline(time.Now().Add(2 * time.Minute))
	c.Expect("220")
	c.Ask("HELO attacker.example", "250")
	return c
}
