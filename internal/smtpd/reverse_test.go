package smtpd

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
)

func TestReverseNameInEnvelope(t *testing.T) {
	cfg := testConfig()
	var asked netip.Addr
	cfg.ReverseName = func(_ context.Context, ip netip.Addr) string {
		asked = ip
		return "client.example.net"
	}
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.Send("EHLO helo.example\r\n")
	c.reply()
	c.Send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
	c.reply()
	c.reply()
	c.reply()
	c.Send("Subject: x\r\n\r\nhi\r\n.\r\n")
	if r := c.reply(); len(r) == 0 || r[0][:3] != "250" {
		t.Fatalf("after DATA: %q", r)
	}
	msgs := ts.d.messages()
	// Loopback clients are "localhost" without a lookup.
	if len(msgs) != 1 || msgs[0].env.ClientHost != "localhost" {
		t.Fatalf("envelope ClientHost = %q", msgs[0].env.ClientHost)
	}
	if asked.IsValid() {
		t.Fatalf("looked up %v for a loopback client", asked)
	}
}

func TestNoReverseNameByDefault(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.Send("HELO h\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
	for range 4 {
		c.reply()
	}
	c.Send(".\r\n")
	c.reply()
	if msgs := ts.d.messages(); len(msgs) != 1 || msgs[0].env.ClientHost != "" {
		t.Fatalf("ClientHost without a resolver: %+v", msgs)
	}
}

func TestClientHostLookedUpForRemoteClients(t *testing.T) {
	cfg := testConfig()
	cfg.ReverseName = func(_ context.Context, ip netip.Addr) string {
		if ip == netip.MustParseAddr("192.0.2.7") {
			return "client.example.net"
		}
		return ""
	}
	srv := New(cfg, newFake(), slog.New(slog.DiscardHandler), nil)
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if got := newSession(srv, c1, netip.MustParseAddr("192.0.2.7")).clientHost(); got != "client.example.net" {
		t.Fatalf("clientHost = %q", got)
	}
	if got := newSession(srv, c1, netip.MustParseAddr("198.51.100.1")).clientHost(); got != "" {
		t.Fatalf("clientHost without a name = %q", got)
	}
}
