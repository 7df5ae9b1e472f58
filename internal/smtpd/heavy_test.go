package smtpd

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

func heavy(t testing.TB) {
	if os.Getenv("PETREL_HEAVY") != "1" {
		t.Skip("set PETREL_HEAVY=1")
	}
}

// Many clients at once, each sending several messages on one connection.
func TestHeavyParallelClients(t *testing.T) {
	heavy(t)
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 100
	cfg.MaxConnections = 100
	ts := start(t, cfg, nil)
	const clients, each = 50, 40
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := smtp.Dial(ts.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range each {
				body := fmt.Sprintf("Subject: %d/%d\r\n\r\n%s\r\n", i, j, strings.Repeat("z", 4000))
				if err := c.SendMail("a@example.org", []string{"b@mx.test"}, strings.NewReader(body)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(ts.d.messages()); n != clients*each {
		t.Fatalf("%d messages", n)
	}
}

// A message near a large limit goes through the spool file.
func TestHeavyLargeMessage(t *testing.T) {
	heavy(t)
	cfg := testConfig()
	cfg.MaxMessageSize = 64 << 20
	ts := start(t, cfg, nil)
	c := dialGoSMTP(t, ts.addr)
	line := strings.Repeat("x", 998) + "\r\n"
	body := strings.Repeat(line, (60<<20)/len(line))
	if err := c.SendMail("a@example.org", []string{"b@mx.test"}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if m := ts.d.messages(); len(m) != 1 || len(m[0].body) != len(body) || !m[0].fromFile {
		t.Fatal("large message differs")
	}
}

// BenchmarkSession: 4 KiB messages through the listener, one connection
// per parallel goroutine, with a delivery that does nothing.
func BenchmarkSession(b *testing.B) { benchSession(b, testConfig()) }

// benchSession is BenchmarkSession on a server with cfg.
func benchSession(b *testing.B, cfg Config) {
	cfg.MaxMessageSize = 1 << 20
	cfg.MaxConnectionsPerIP, cfg.MaxConnections = 1000, 1000
	ts := start(b, cfg, nil)
	ts.d.discard = true
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("b", 78)+"\r\n", 51)
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(ts.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.SendMail("a@example.org", []string{"b@mx.test"}, strings.NewReader(body)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
