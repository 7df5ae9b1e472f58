package managesieve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/testkit"
)

// byeWithin reads up to a BYE, which must come within limit, then checks
// that the connection is closed.
func (cl *client) byeWithin(limit time.Duration, prefix string) {
	cl.T.Helper()
	start := time.Now()
	cl.Timeout = limit + 5*time.Second
	r := cl.response()
	if !strings.HasPrefix(r.status, prefix) {
		cl.T.Fatalf("got %q, want %q", r.status, prefix)
	}
	d := time.Since(start)
	if d > limit {
		cl.T.Errorf("cut off after %v, want within %v", d, limit)
	}
	cl.T.Logf("%s after %v", r.status, d.Round(time.Millisecond))
	cl.Closed()
}

// An over-long line, a literal over the bound before login, too many
// commands and too many bad commands before login each end the session
// with BYE.
func TestInputBounds(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxLineLength = 1024 })

	cl, _ := e.dial()
	cl.Send("NOOP \"" + strings.Repeat("x", 2000) + "\"\r\n")
	cl.byeWithin(5*time.Second, `BYE "Line too long`)

	cl, _ = e.dial()
	cl.Send(`AUTHENTICATE "PLAIN" {1025+}` + "\r\n")
	cl.byeWithin(5*time.Second, `BYE (QUOTA/MAXSIZE)`)

	cl, _ = e.dial()
	for range 20 {
		cl.ok("NOOP")
	}
	cl.Send("NOOP\r\n")
	cl.byeWithin(5*time.Second, `BYE "Too many commands without logging in`)

	cl, _ = e.dial()
	cl.expect("FROB", "NO")
	cl.expect("LISTSCRIPTS", "NO")
	cl.expect("NOOP 12", "NO")
	cl.Send("FROB\r\n")
	cl.byeWithin(5*time.Second, `BYE "Too many bad commands`)

	// A malformed command is skipped whole, its literal included: what
	// the literal holds is never run as a command.
	cl = e.login()
	cl.expect("PUTSCRIPT x "+literal("LOGOUT\r\n"), `NO "Syntax error`)
	cl.expect(`PUTSCRIPT "x" `+literal("LOGOUT\r\n")+" junk", `NO "Syntax error`)
	cl.ok("NOOP")
}

// A silent client is logged out at IdleTimeout; a client that stops
// halfway through a command, or trickles it, is cut off at
// CommandTimeout.
func TestSlowClients(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) {
		c.IdleTimeout = 400 * time.Millisecond
		c.CommandTimeout = 300 * time.Millisecond
	})
	cl, _ := e.dial()
	cl.byeWithin(5*time.Second, `BYE "Idle`)

	e2 := newEnv(t, func(c *Config, _ *Deps) {
		c.IdleTimeout = time.Minute
		c.CommandTimeout = 300 * time.Millisecond
	})
	cl = e2.login()
	cl.Send(`PUTSCRIPT "a" {100+}` + "\r\n" + "require ")
	cl.byeWithin(5*time.Second, `BYE "Command not completed in time`)

	cl = e2.login()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 { // 5 s at most
			if _, err := cl.C.Write([]byte{"NOOP"[i%4]}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	cl.byeWithin(5*time.Second, `BYE "Command not completed in time`)
	<-done
}

// Failed logins: a connection is closed after MaxAuthFailures, and the
// shared guard bounds the password checks an attacker gets over many
// connections; refused attempts answer NO (TRYLATER).
func TestLoginThrottle(t *testing.T) {
	const block = 4
	guard := authguard.New(authguard.Config{IPFree: 2, IPBlock: block, AccountFree: 100,
		BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, BlockFor: time.Minute})
	e := newEnv(t, func(_ *Config, d *Deps) { d.Throttle = guard })
	trylater := 0
	for range 4 {
		cl, _ := e.dial()
		for i := range 3 {
			r := cl.cmd(`AUTHENTICATE "PLAIN" "` + plain(testUser, "guess") + `"`)
			if !strings.HasPrefix(r.status, "NO") {
				t.Fatalf("a wrong password: %q", r.status)
			}
			if strings.HasPrefix(r.status, "NO (TRYLATER)") {
				trylater++
			}
			if i == 2 {
				cl.Closed() // the third failure closes the connection
			}
		}
	}
	t.Logf("12 guesses over 4 connections: %d password checks, %d refused with TRYLATER", e.checks.n.Load(), trylater)
	if n := e.checks.n.Load(); n > block {
		t.Errorf("the attacker got %d password checks, want at most %d", n, block)
	}
	if trylater == 0 {
		t.Errorf("no attempt was refused with TRYLATER")
	}
	// The right password is refused too while the client is blocked.
	cl, _ := e.dial()
	cl.expect(`AUTHENTICATE "PLAIN" "`+plain(testUser, testPass)+`"`, "NO (TRYLATER)")
}

// Shutdown ends an idle session with BYE (TRYLATER).
func TestShutdown(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.login()
	cl.ok("NOOP")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go e.srv.Shutdown(ctx)
	cl.byeWithin(5*time.Second, `BYE (TRYLATER) "Server shutting down"`)
}

// A connection over the limits gets BYE (TRYLATER) and is closed.
func TestConnectionLimit(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConnections, c.MaxConnectionsPerIP = 1, 1 })
	first, _ := e.dial()
	cl := &client{testkit.Dial(t, e.addr)}
	cl.byeWithin(5*time.Second, `BYE (TRYLATER) "Too many connections`)
	first.ok("NOOP")
}
