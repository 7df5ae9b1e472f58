package smtpclient

import (
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"testing"
)

// stsEnv is policyEnv without DNSSEC, the recipient domain under the
// MTA-STS policy p, and the client trusting the CA of c.
func stsEnv(t *testing.T, f *fakeServer, c chain, p STSPolicy) (*fakeServer, *env, *reports) {
	t.Helper()
	srv, e := policyEnv(t, f)
	e.dns.SetAD(false)
	e.cfg.STS = &fakeSTS{policy: p}
	e.cfg.TLSConfig = &tls.Config{RootCAs: c.pool}
	return srv, e, collect(e)
}

// MTA-STS enforce, the MX host in the policy, a valid certificate:
// delivered over verified TLS.
func TestSTSEnforceDelivered(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e, rep := stsEnv(t, &fakeServer{tls: good.server}, good, stsPolicy(true, "mx.remote.test"))
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if _, tlsConns, _ := sessions(srv); tlsConns != 1 || res[0].TLSPolicy != "sts ok" {
		t.Fatalf("%d TLS connections; %+v", tlsConns, res[0])
	}
	wantReport(t, rep, "sts/")
	if o := rep.all()[0]; o.PolicyDomain != "remote.test" || o.MXHost != "mx.remote.test" ||
		!strings.Contains(strings.Join(o.PolicyStrings, "\n"), "mode: enforce") {
		t.Fatalf("outcome %+v", o)
	}
}

// MTA-STS enforce and an MX host the policy does not name: not even
// connected to; a temporary failure that says why (the queue bounces at
// its expiry).
func TestSTSEnforceMXMismatch(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e, rep := stsEnv(t, &fakeServer{tls: good.server}, good, stsPolicy(true, "mx2.remote.test"))
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "451 4.7.5")
	if conns, _, _ := sessions(srv); conns != 0 || !strings.Contains(res[0].Reply.Text, "MTA-STS policy of remote.test") {
		t.Fatalf("%d connections; %v", conns, res[0].Reply)
	}
	// Nothing was connected to; the result names the policy's failure.
	if res[0].TLSPolicy != "sts validation-failure" || res[0].RemoteMTA != "" {
		t.Fatalf("result %+v", res[0])
	}
	wantReport(t, rep, "sts/validation-failure")
	// A DNSSEC-validated MX record does not overrule the policy.
	srv2, e2 := policyEnv(t, &fakeServer{tls: good.server})
	e2.cfg.STS = &fakeSTS{policy: stsPolicy(true, "mx2.remote.test")}
	want(t, e2.send("remote.test", msg("x\r\n", "bob@remote.test")), "451 4.7.5")
	if conns, _, _ := sessions(srv2); conns != 0 {
		t.Fatalf("%d connections with a DNSSEC-validated MX", conns)
	}
}

// MTA-STS enforce and a certificate that does not verify (another CA,
// another name) or no STARTTLS: deferred, never sent in plaintext.
func TestSTSEnforceBadCertificate(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	for _, tc := range []struct {
		name   string
		server *tls.Config
		result string
	}{
		{"untrusted", newChain(t, "mx.remote.test").server, "sts/certificate-not-trusted"},
		{"wrong name", newChainSameCA(t, good, "other.remote.test"), "sts/certificate-host-mismatch"},
		{"no STARTTLS", nil, "sts/starttls-not-supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e, rep := stsEnv(t, &fakeServer{tls: tc.server}, good, stsPolicy(true, "mx.remote.test"))
			res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
			want(t, res, "451 4.7.5")
			if conns, _, mails := sessions(srv); conns != 1 || mails != 0 {
				t.Fatalf("%d connections, %d MAIL", conns, mails)
			}
			wantReport(t, rep, tc.result)
		})
	}
}

// MTA-STS testing: failures are reported, the message is delivered.
func TestSTSTesting(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	srv, e, rep := stsEnv(t, &fakeServer{tls: newChain(t, "mx.remote.test").server}, good, stsPolicy(false, "mx.remote.test"))
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if _, tlsConns, _ := sessions(srv); tlsConns != 1 || res[0].TLSPolicy != "sts-testing certificate-not-trusted" {
		t.Fatalf("%d TLS connections; %+v", tlsConns, res[0])
	}
	wantReport(t, rep, "sts/certificate-not-trusted")

	_, e2, rep2 := stsEnv(t, &fakeServer{tls: good.server}, good, stsPolicy(false, "mx2.remote.test"))
	want(t, e2.send("remote.test", msg("x\r\n", "bob@remote.test")), "250 2.0.0")
	wantReport(t, rep2, "sts/validation-failure", "sts/")
}

// TLS-Required: No (RFC 8689 §4.1) delivers despite an enforced policy.
func TestSTSTLSOptional(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	_, e, rep := stsEnv(t, &fakeServer{tls: newChain(t, "mx.remote.test").server}, good, stsPolicy(true, "mx.remote.test"))
	m := msg("x\r\n", "bob@remote.test")
	m.TLSOptional = true
	want(t, e.send("remote.test", m), "250 2.0.0")
	wantReport(t, rep, "sts/certificate-not-trusted")
}

// A failed policy lookup is reported, and the domain treated as without
// a policy (RFC 8461 §5).
func TestSTSLookupError(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	_, e, rep := stsEnv(t, &fakeServer{tls: good.server}, good, STSPolicy{})
	e.cfg.STS = &fakeSTS{err: &STSError{ResultType: "sts-policy-invalid", Err: errors.New("bad policy")}}
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	wantReport(t, rep, "sts/sts-policy-invalid", "no-policy-found/")
	e.cfg.STS = &fakeSTS{err: errors.New("timeout")}
	rep = collect(e)
	want(t, e.send("remote.test", msg("x\r\n", "bob@remote.test")), "250 2.0.0")
	wantReport(t, rep, "sts/sts-policy-fetch-error", "no-policy-found/")
}

// Without a policy, TLS stays opportunistic: an untrusted certificate
// is used, and a server without STARTTLS gets the message in plaintext.
func TestNoPolicyOpportunistic(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	_, e, rep := stsEnv(t, &fakeServer{tls: newChain(t, "x.test").server}, good, STSPolicy{})
	res := e.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	if res[0].TLS == "" || res[0].TLSPolicy != "none ok" {
		t.Fatalf("result %+v", res[0])
	}
	wantReport(t, rep, "no-policy-found/")
	_, e2, rep2 := stsEnv(t, &fakeServer{}, good, STSPolicy{})
	res = e2.send("remote.test", msg("x\r\n", "bob@remote.test"))
	want(t, res, "250 2.0.0")
	wantReport(t, rep2, "no-policy-found/starttls-not-supported")
}

// The MX host name goes as SNI (RFC 8461 §4.2, RFC 7672 §8.1), with or
// without a policy.
func TestSNI(t *testing.T) {
	good := newChain(t, "mx.remote.test")
	for _, p := range []STSPolicy{stsPolicy(true, "mx.remote.test"), {}} {
		var mu sync.Mutex
		var sni []string
		server := good.server.Clone()
		server.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			defer mu.Unlock()
			sni = append(sni, h.ServerName)
			return nil, nil
		}
		_, e, _ := stsEnv(t, &fakeServer{tls: server}, good, p)
		want(t, e.send("remote.test", msg("x\r\n", "bob@remote.test")), "250 2.0.0")
		mu.Lock()
		if len(sni) != 1 || sni[0] != "mx.remote.test" {
			t.Errorf("policy %+v: SNI %q", p, sni)
		}
		mu.Unlock()
	}
}
