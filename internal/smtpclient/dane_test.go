package smtpclient

import (
	"strings"
	"testing"
)

// A host with secure TLSA records gets mail only over TLS whose
// certificate matches one of them (RFC 7672 §3): DANE-EE ignores the
// certificate's names, DANE-TA checks them; SPKI or full certificate,
// SHA-256, SHA-512 or the whole data.
func TestDANE(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	eeOnly := newChain(t, "not-the-mx.example") // DANE-EE: names ignored
	other := newChain(t, "mx.remote.test")
	for _, tc := range []struct {
		name    string
		server  chain
		usage   uint8
		sel, mt uint8
		of      func(chain) chain // whose certificate the record names
		ok      bool
	}{
		{"EE SPKI SHA-256", good, 3, 1, 1, nil, true},
		{"EE cert SHA-512", good, 3, 0, 2, nil, true},
		{"EE cert full", good, 3, 0, 0, nil, true},
		{"EE names ignored", eeOnly, 3, 1, 1, nil, true},
		{"TA cert SHA-256", good, 2, 0, 1, nil, true},
		{"TA SPKI SHA-512", good, 2, 1, 2, nil, true},
		{"TA wrong name", eeOnly, 2, 1, 1, nil, false},
		{"EE other key", good, 3, 1, 1, func(chain) chain { return other }, false},
		{"TA other CA", good, 2, 0, 1, func(chain) chain { return other }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e := policyEnv(t, &fakeServer{tls: tc.server.server})
			rep := collect(e)
			named := tc.server
			if tc.of != nil {
				named = tc.of(tc.server)
			}
			cert := named.leaf
			if tc.usage == 2 {
				cert = named.ca
			}
			e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", tc.usage, tc.sel, tc.mt, cert))
			res := e.send("remote.test", msg("Subject: x\r\n\r\nx\r\n", "bob@remote.test"))
			conns, tlsConns, mails := sessions(srv)
			if tc.ok {
				want(t, res, "250 2.0.0")
				if res[0].TLS == "" || res[0].TLSPolicy != "dane ok" || tlsConns != 1 {
					t.Fatalf("result %+v, %d TLS connections", res[0], tlsConns)
				}
				wantReport(t, rep, "tlsa/")
				if o := rep.all()[0]; o.PolicyDomain != "remote.test" || o.MXHost != "mx.remote.test" ||
					len(o.PolicyStrings) != 1 || !strings.HasPrefix(o.PolicyStrings[0], string('0'+tc.usage)+" ") ||
					o.ReceivingIP.String() != "127.0.0.1" || o.SendingIP.String() != "127.0.0.1" {
					t.Fatalf("outcome %+v", o)
				}
				return
			}
			// Deferred, never in plaintext: one connection, no envelope.
			want(t, res, "451 4.7.5")
			if conns != 1 || mails != 0 || !strings.Contains(res[0].Reply.Text, "DANE") {
				t.Fatalf("%d connections, %d MAIL; %v", conns, mails, res[0].Reply)
			}
			if r := rep.all(); len(r) != 1 || r[0].PolicyType != "tlsa" || r[0].ResultType == "" {
				t.Fatalf("reports %+v", r)
			}
		})
	}
}

// Without the AD bit, or with dns.dnssec off, TLSA records are not
// believed: the same non-matching record leaves opportunistic TLS.
func TestDANENeedsValidatedAnswers(t *testing.T) {
	good, other := newChain(t, "mx.remote.test"), newChain(t, "mx.remote.test")
	for _, tc := range []struct {
		name  string
		setup func(*env)
	}{
		{"no AD", func(e *env) { e.dns.SetAD(false) }},
		{"dnssec off", func(e *env) { e.dnssec = false }},
		{"insecure MX host", func(e *env) { e.dns.Insecure("mx.remote.test") }},
		{"insecure MX", func(e *env) { e.dns.Insecure("remote.test") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e := policyEnv(t, &fakeServer{tls: good.server})
			e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 3, 1, 1, other.leaf))
			tc.setup(e)
			rep := collect(e)
			res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
			want(t, res, "250 2.0.0")
			if res[0].TLS == "" || res[0].TLSPolicy != "none ok" {
				t.Fatalf("result %+v", res[0])
			}
			wantReport(t, rep, "no-policy-found/")
		})
	}
}

// A downgrade: the host has TLSA records and does not offer STARTTLS
// (an attacker stripped it): deferred, never sent in plaintext.
func TestDANEDowngrade(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e := policyEnv(t, &fakeServer{})
	e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 3, 1, 1, good.leaf))
	rep := collect(e)
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "451 4.7.5")
	if _, _, mails := sessions(srv); mails != 0 || !strings.Contains(res[0].Reply.Text, "STARTTLS not offered") {
		t.Fatalf("%d MAIL; %v", mails, res[0].Reply)
	}
	wantReport(t, rep, "tlsa/starttls-not-supported")
	// A handshake that fails is not retried in plaintext either.
	srv2, e2 := policyEnv(t, &fakeServer{badTLS: true})
	e2.dns.Add(t, tlsaOf(t, srv2.port(), "mx.remote.test", 3, 1, 1, good.leaf))
	want(t, e2.send("remote.test", msg("x\r\n", "bob@remote.test")), "451 4.4.2")
	if conns, _, mails := sessions(srv2); conns != 1 || mails != 0 {
		t.Fatalf("%d connections, %d MAIL after a failed handshake", conns, mails)
	}
}

// A TLSA lookup that fails for a host with secure addresses (a bogus
// answer looks like that) skips the host: nothing is sent to it.
func TestDANELookupFailure(t *testing.T) {
	srv, e := policyEnv(t, &fakeServer{})
	e.dns.ServFail("_" + itoaPort(srv) + "._tcp.mx.remote.test")
	rep := collect(e)
	want(t, e.send("remote.test", msg("x\r\n", "bob@remote.test")), "451 4.7.5")
	if conns, _, _ := sessions(srv); conns != 0 {
		t.Fatalf("%d connections", conns)
	}
	wantReport(t, rep, "tlsa/dnssec-invalid")
}

// TLSA records of which none is usable (PKIX-EE in SMTP) still oblige
// to TLS, unauthenticated (RFC 7672 §2.2, §3.1.3).
func TestDANEUnusableRecords(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e := policyEnv(t, &fakeServer{tls: good.server})
	e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 1, 1, 1, newChain(t, "x.test").leaf))
	rep := collect(e)
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if res[0].TLS == "" || res[0].TLSPolicy != "dane tlsa-invalid" {
		t.Fatalf("result %+v", res[0])
	}
	wantReport(t, rep, "tlsa/tlsa-invalid")
	plain, e2 := policyEnv(t, &fakeServer{})
	e2.dns.Add(t, tlsaOf(t, plain.port(), "mx.remote.test", 1, 1, 1, good.leaf))
	want(t, e2.send("remote.test", msg("x\r\n", "bob@remote.test")), "451 4.7.5")
}

// DANE takes precedence over MTA-STS (RFC 8461 §2): a host with TLSA
// records is not held to the policy's MX names.
func TestDANEPrecedence(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e := policyEnv(t, &fakeServer{tls: good.server})
	e.dns.Add(t, tlsaOf(t, srv.port(), "mx.remote.test", 3, 1, 1, good.leaf))
	e.cfg.STS = &fakeSTS{policy: stsPolicy(true, "elsewhere.remote.test")}
	rep := collect(e)
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if res[0].TLSPolicy != "dane ok" {
		t.Fatalf("policy %q", res[0].TLSPolicy)
	}
	wantReport(t, rep, "tlsa/")
}

// Without MX records (a secure NODATA), the domain itself is the host
// (RFC 5321 §5.1), and its TLSA records apply (RFC 7672 §2.2.1).
func TestDANEImplicitMX(t *testing.T) {
	good, other := newChain(t, "remote.test"), newChain(t, "remote.test")
	srv := startFake(t, &fakeServer{tls: good.server})
	e := newEnv(t, srv.port())
	e.dnssec = true
	e.dns.SetAD(true)
	e.dns.Add(t, "remote.test. A 127.0.0.1", tlsaOf(t, srv.port(), "remote.test", 3, 1, 1, other.leaf))
	want(t, e.send("remote.test", msg("x\r\n", "bob@remote.test")), "451 4.7.5")
	if _, _, mails := sessions(srv); mails != 0 {
		t.Fatalf("%d MAIL", mails)
	}
}
