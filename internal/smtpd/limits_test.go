package smtpd

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/testkit"
)

func TestConnectionLimitPerIP(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 2
	ts := start(t, cfg, nil)
	a, b := greeted(t, ts.addr), greeted(t, ts.addr)
	c := dialRaw(t, "tcp", ts.addr)
	c.expect("421 4.7.0 mx.test Too many connections")
	c.EOF()
	a.cmd("QUIT", "221 ")
	a.EOF()
	waitFor(t, func() bool { return ts.srv.net.Connections() < 2 })
	greeted(t, ts.addr).cmd("NOOP", "250 ")
	b.cmd("NOOP", "250 ")
}

func TestConnectionLimitTotal(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnections = 1
	ts := start(t, cfg, nil)
	greeted(t, ts.addr)
	c := dialRaw(t, "tcp", ts.addr)
	c.expect("421 4.7.0")
	c.EOF()
}

func TestCommandTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.CommandTimeout = 150 * time.Millisecond
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.expect("421 4.4.2")
	c.EOF()
}

func TestDataTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.DataTimeout = 150 * time.Millisecond
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.cmd("DATA", "354 ")
	c.Send("partial line")
	c.expect("421 4.4.2")
	c.EOF()
	if len(ts.d.messages()) != 0 {
		t.Fatal("a partial message was delivered")
	}
	// BDAT waits for its chunk under the same timeout.
	c = greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	c.Send("BDAT 100\r\nshort")
	c.expect("421 4.4.2")
	c.EOF()
}

func TestShutdown(t *testing.T) {
	ts := start(t, testConfig(), nil)
	idle := greeted(t, ts.addr)
	busy := greeted(t, ts.addr)
	busy.hello()
	busy.transaction("a@example.org", "b@mx.test")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	idle.expect("421 4.3.2")
	idle.EOF()
	// The session in a transaction finishes it, then is closed.
	busy.data("x\r\n.\r\n")
	busy.Send("NOOP\r\n")
	busy.expect("421 4.3.2")
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if len(ts.d.messages()) != 1 {
		t.Fatal("the open transaction did not finish")
	}
}

func TestShutdownGivesUp(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v", err)
	}
	c.EOF()
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 1
	ts := startWith(t, cfg, nil, NewMetrics(reg))
	c := greeted(t, ts.addr)
	greeted2 := dialRaw(t, "tcp", ts.addr)
	greeted2.expect("421 ")
	c.hello()
	c.cmd("BOGUS", "500 ")
	c.transaction("a@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	want := map[string]float64{
		"petrel_smtpd_connections_total{listener=smtp}":                            2,
		"petrel_smtpd_messages_accepted_total{listener=smtp}":                      1,
		"petrel_smtpd_rejections_total{listener=smtp,reason=bad_command}":          1,
		"petrel_smtpd_rejections_total{listener=smtp,reason=too_many_connections}": 1,
	}
	got := testkit.Gather(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

func TestFromConfigAndDefaults(t *testing.T) {
	c := config.Default()
	c.Hostname, c.DataDir = "mail.example.org", "/var/petrel"
	got := FromConfig(c)
	want := Config{
		Hostname: "mail.example.org", MaxMessageSize: 50_000_000, MaxRecipients: 100,
		MaxConnectionsPerIP: 20, MaxConnections: 1000, MaxBadCommands: 10,
		CommandTimeout: 5 * time.Minute, DataTimeout: 5 * time.Minute, MinDataRate: 1024,
		RcptErrors: RcptErrorLimits{Soft: 5, Hard: 20, Sleep: time.Second, Decay: time.Minute},
		SpoolDir:   "/var/petrel/spool",
	}
	if sp, ok := got.Space.(*spool.Space); !ok || sp == nil {
		t.Fatalf("FromConfig: Space = %#v, want the free space of data_dir", got.Space)
	}
	got.Space = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FromConfig:\n got %+v\nwant %+v", got, want)
	}
	d := Config{LMTP: true, MaxLineLength: 100}.withDefaults()
	if d.Name != "lmtp" || d.Hostname != "localhost" || d.MaxLineLength != 512 || d.MaxRecipients != 100 ||
		d.MinDataRate != 1024 || d.RcptErrors != want.RcptErrors ||
		d.MaxMessageSize != want.MaxMessageSize || d.CommandTimeout != want.CommandTimeout || d.SpoolDir == "" {
		t.Fatalf("defaults %+v", d)
	}
	if d := (Config{}).withDefaults(); d.Name != "smtp" || d.MaxLineLength != 2048 {
		t.Fatalf("defaults %+v", d)
	}
}
