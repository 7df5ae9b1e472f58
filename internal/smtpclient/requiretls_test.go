package smtpclient

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

func requireTLSMsg() *Message {
	m := msg("x\r\n", "bob@remote.test")
	m.RequireTLS = true
	return m
}

// wantRequireTLSParam checks the MAIL commands the server got: each with
// the REQUIRETLS parameter, or none.
func wantRequireTLSParam(t *testing.T, f *fakeServer, with bool) {
	t.Helper()
	lines := mailLines(f)
	if len(lines) == 0 {
		t.Fatal("no MAIL command")
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " REQUIRETLS") != with {
			t.Fatalf("MAIL line %q (REQUIRETLS wanted: %v)", l, with)
		}
	}
}

// A REQUIRETLS message is relayed over TLS authenticated by MTA-STS, by
// DANE, or by the Web PKI for an MX validated by DNSSEC, to a server that
// offers REQUIRETLS, with the MAIL parameter (RFC 8689 §4.2.1).
func TestRequireTLSRelayed(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	ext := []string{"REQUIRETLS"}
	t.Run("MTA-STS", func(t *testing.T) {
		srv, e, _ := stsEnv(t, &fakeServer{tls: good.server, ext: ext}, good, stsPolicy(true, "mx.remote.test"))
		want(t, e.send("remote.test", requireTLSMsg()), "250 2.0.0")
		wantRequireTLSParam(t, srv, true)
	})
	t.Run("MTA-STS testing", func(t *testing.T) {
		srv, e, _ := stsEnv(t, &fakeServer{tls: good.server, ext: ext}, good, stsPolicy(false, "mx.remote.test"))
		want(t, e.send("remote.test", requireTLSMsg()), "250 2.0.0")
		wantRequireTLSParam(t, srv, true)
	})
	t.Run("DANE", func(t *testing.T) {
		srv, e := policyEnv(t, &fakeServer{tls: good.server, ext: ext})
		e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 3, 1, 1, good.leaf))
		want(t, e.send("remote.test", requireTLSMsg()), "250 2.0.0")
		wantRequireTLSParam(t, srv, true)
	})
	t.Run("DNSSEC and Web PKI", func(t *testing.T) {
		srv, e := policyEnv(t, &fakeServer{tls: good.server, ext: ext})
		e.cfg.TLSConfig = &tls.Config{RootCAs: good.pool}
		want(t, e.send("remote.test", requireTLSMsg()), "250 2.0.0")
		wantRequireTLSParam(t, srv, true)
	})
	t.Run("not asked", func(t *testing.T) {
		srv, e, _ := stsEnv(t, &fakeServer{tls: good.server, ext: ext}, good, stsPolicy(true, "mx.remote.test"))
		want(t, e.send("remote.test", msg("x\r\n", "bob@remote.test")), "250 2.0.0")
		wantRequireTLSParam(t, srv, false)
	})
}

// A REQUIRETLS message fails permanently with 5.7.10 when only
// unauthenticated TLS is possible, or the server lacks REQUIRETLS, and
// is never sent (RFC 8689 §4.2.1, §5).
func TestRequireTLSRefused(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	ext := []string{"REQUIRETLS"}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (*fakeServer, *env)
		conns int    // connections made
		reply string // 5.7.10 for TLS that cannot be trusted, 5.7.30 for a next hop without REQUIRETLS (RFC 8689 §5)
	}{
		{"no policy, insecure MX", func(t *testing.T) (*fakeServer, *env) {
			srv, e, _ := stsEnv(t, &fakeServer{tls: good.server, ext: ext}, good, STSPolicy{})
			return srv, e
		}, 0, "550 5.7.10"},
		{"MX not in the policy", func(t *testing.T) (*fakeServer, *env) {
			srv, e, _ := stsEnv(t, &fakeServer{tls: good.server, ext: ext}, good, stsPolicy(false, "mx2.remote.test"))
			return srv, e
		}, 0, "550 5.7.10"},
		{"MX not in the policy, DNSSEC", func(t *testing.T) (*fakeServer, *env) {
			srv, e := policyEnv(t, &fakeServer{tls: good.server, ext: ext})
			e.cfg.TLSConfig = &tls.Config{RootCAs: good.pool}
			e.cfg.STS = &fakeSTS{policy: stsPolicy(false, "mx2.remote.test")}
			return srv, e
		}, 0, "550 5.7.10"},
		{"server without REQUIRETLS", func(t *testing.T) (*fakeServer, *env) {
			srv, e, _ := stsEnv(t, &fakeServer{tls: good.server}, good, stsPolicy(true, "mx.remote.test"))
			return srv, e
		}, 1, "550 5.7.30"},
		{"DNSSEC MX, no STARTTLS", func(t *testing.T) (*fakeServer, *env) {
			return policyEnv(t, &fakeServer{ext: ext})
		}, 1, "550 5.7.10"},
		{"unusable TLSA records", func(t *testing.T) (*fakeServer, *env) {
			srv, e := policyEnv(t, &fakeServer{tls: good.server, ext: ext})
			e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 1, 1, 1, good.leaf))
			return srv, e
		}, 0, "550 5.7.10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e := tc.setup(t)
			res := e.send("remote.test", requireTLSMsg())
			want(t, res, tc.reply)
			if conns, _, mails := sessions(srv); conns != tc.conns || mails != 0 {
				t.Fatalf("%d connections, %d MAIL", conns, mails)
			}
		})
	}
}

// An untrusted certificate under a policy is a policy failure (possibly
// an attack): deferred like any message, not bounced at once.
func TestRequireTLSUnverified(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e, _ := stsEnv(t, &fakeServer{tls: newChain(t, "mx.remote.test").server, ext: []string{"REQUIRETLS"}},
		good, stsPolicy(false, "mx.remote.test"))
	want(t, e.send("remote.test", requireTLSMsg()), "451 4.7.5")
	if _, _, mails := sessions(srv); mails != 0 {
		t.Fatalf("%d MAIL", mails)
	}
}

// Through a relay host, REQUIRETLS needs its certificate verified and
// REQUIRETLS offered.
func TestRequireTLSRelayhost(t *testing.T) {
	good := newChain(t, "relay.test")
	srv := startFake(t, &fakeServer{tls: good.server, ext: []string{"REQUIRETLS"}})
	e := newEnv(t, srv.port())
	e.dns.Add(t, "relay.test. A 127.0.0.1")
	e.cfg.Relayhost = "relay.test"
	e.cfg.TLSConfig = &tls.Config{RootCAs: good.pool}
	want(t, e.send("remote.test", requireTLSMsg()), "250 2.0.0")
	wantRequireTLSParam(t, srv, true)
	e.cfg.TLSConfig = nil // the system's roots: not trusted
	want(t, e.send("remote.test", requireTLSMsg()), "451 4.7.5")
}

// A connection cached after an unauthenticated delivery does not carry a
// REQUIRETLS message: that one gets a connection of its own, checked,
// and a later REQUIRETLS message reuses the checked one.
func TestRequireTLSCachedConnection(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e := policyEnv(t, &fakeServer{tls: good.server, ext: []string{"REQUIRETLS"}})
	e.cfg.ConnectionCacheTime = time.Minute
	c := e.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want(t, c.Send(ctx, "remote.test", msg("x\r\n", "bob@remote.test")), "250 2.0.0")
	c.cfg.TLSConfig = &tls.Config{RootCAs: good.pool} // the same client, its cache
	want(t, c.Send(ctx, "remote.test", requireTLSMsg()), "250 2.0.0")
	if conns, tlsConns, _ := sessions(srv); conns != 2 || tlsConns != 2 {
		t.Fatalf("%d connections (%d TLS), want 2: one per policy", conns, tlsConns)
	}
	want(t, c.Send(ctx, "remote.test", requireTLSMsg()), "250 2.0.0")
	if conns, _, _ := sessions(srv); conns != 2 {
		t.Fatalf("%d connections: the checked one was not reused", conns)
	}
}
