package smtpclient

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oneMX points remote.test at 127.0.0.1 through one MX.
func oneMX(t *testing.T, f *fakeServer) (*fakeServer, *env) {
	srv := startFake(t, f)
	e := newEnv(t, srv.port())
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	return srv, e
}

func TestPipeliningAndMixedResults(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{
		ext: []string{"PIPELINING"},
		rcpt: func(addr string) string {
			switch addr {
			case "unknown@remote.test":
				return "550 5.1.1 no such user"
			case "full@remote.test":
				return "452 4.2.2 mailbox full"
			}
			return "250 2.1.5 ok"
		},
	})
	res := e.send("remote.test", msg("x\r\n", "a@remote.test", "unknown@remote.test", "full@remote.test", "b@remote.test"))
	want(t, res, "250 2.0.0", "550 5.1.1 no such user", "452 4.2.2 mailbox full", "250 2.0.0")
	tr := srv.transcripts()[0]
	if !tr.pipelined {
		t.Fatal("MAIL and RCPT were not sent in one batch")
	}
	if res[1].RemoteMTA != "mx.remote.test" {
		t.Fatalf("RemoteMTA = %q", res[1].RemoteMTA)
	}
}

func TestNoPipelining(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{})
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test", "b@remote.test")), "250", "250")
	if srv.transcripts()[0].pipelined {
		t.Fatal("pipelined without PIPELINING")
	}
}

func TestAllRecipientsRefused(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{rcpt: func(string) string { return "550 5.1.1 no" }})
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "550 5.1.1")
	if slices.Contains(srv.transcripts()[0].lines, "DATA") {
		t.Fatal("DATA sent without recipients")
	}
}

func TestDataRefused(t *testing.T) {
	_, e := oneMX(t, &fakeServer{dataEnd: "554 5.7.1 spam"})
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test", "b@remote.test")), "554 5.7.1 spam", "554 5.7.1 spam")
}

func TestSTARTTLS(t *testing.T) {
	cfg, _ := selfSigned(t, "mx.remote.test")
	srv, e := oneMX(t, &fakeServer{tls: cfg})
	res := e.send("remote.test", msg("x\r\n", "a@remote.test"))
	want(t, res, "250")
	if !strings.HasPrefix(res[0].TLS, "TLS1.3 TLS_") {
		t.Fatalf("TLS = %q", res[0].TLS)
	}
	tr := srv.transcripts()[0]
	if !tr.tls || !slices.Equal(tr.lines[:3], []string{"EHLO out.petrel.test", "STARTTLS", "EHLO out.petrel.test"}) {
		t.Fatalf("transcript = %+v", tr)
	}
}

func TestSTARTTLSFailureFallsBack(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{badTLS: true})
	res := e.send("remote.test", msg("x\r\n", "a@remote.test"))
	want(t, res, "250")
	trs := srv.transcripts()
	if len(trs) != 2 || res[0].TLS != "" || slices.Contains(trs[1].lines, "STARTTLS") {
		t.Fatalf("%d connections, TLS %q, second %q", len(trs), res[0].TLS, trs[len(trs)-1].lines)
	}
}

func TestRequireTLS(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{badTLS: true})
	e.cfg.RequireTLS = true
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "451")
	if n := len(srv.transcripts()); n != 1 {
		t.Fatalf("%d connections: fell back to plaintext", n)
	}
	// A verified certificate passes.
	cfg, pool := selfSigned(t, "mx.remote.test")
	_, e = oneMX(t, &fakeServer{tls: cfg})
	e.cfg.RequireTLS = true
	e.cfg.TLSConfig = &tls.Config{RootCAs: pool}
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "250")
}

func TestSIZERefusal(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{ext: []string{"SIZE 10"}})
	want(t, e.send("remote.test", msg("more than ten octets\r\n", "a@remote.test")), "552 5.3.4")
	if slices.ContainsFunc(srv.transcripts()[0].lines, func(l string) bool { return strings.HasPrefix(l, "MAIL") }) {
		t.Fatal("MAIL sent for a message over SIZE")
	}
}

func TestSMTPUTF8(t *testing.T) {
	_, e := oneMX(t, &fakeServer{})
	m := msg("x\r\n", "a@remote.test")
	m.SMTPUTF8 = true
	want(t, e.send("remote.test", m), "553 5.6.9")
	m = msg("x\r\n", "jörg@remote.test")
	m.SMTPUTF8 = true
	want(t, e.send("remote.test", m), "553 5.6.7")

	srv, e := oneMX(t, &fakeServer{ext: []string{"SMTPUTF8", "8BITMIME"}})
	m.EightBit = true
	want(t, e.send("remote.test", m), "250")
	if got := srv.transcripts()[0].lines[1]; got != "MAIL FROM:<alice@petrel.test> SIZE=3 BODY=8BITMIME SMTPUTF8" && got != "MAIL FROM:<alice@petrel.test> BODY=8BITMIME SMTPUTF8" {
		t.Fatalf("MAIL = %q", got)
	}
}

func TestDSNParameters(t *testing.T) {
	m := msg("x\r\n", "a@remote.test")
	m.EnvID, m.Ret = "id+1=2", "hdrs"
	m.Rcpts[0].Notify = []string{"SUCCESS", "FAILURE"}
	m.Rcpts[0].ORcpt = "rfc822;A+b@example.org"
	srv, e := oneMX(t, &fakeServer{ext: []string{"DSN"}})
	want(t, e.send("remote.test", m), "250")
	lines := srv.transcripts()[0].lines
	if lines[1] != "MAIL FROM:<alice@petrel.test> RET=HDRS ENVID=id+2B1+3D2" ||
		lines[2] != "RCPT TO:<a@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;A+2Bb@example.org" {
		t.Fatalf("lines = %q", lines)
	}
	srv, e = oneMX(t, &fakeServer{})
	want(t, e.send("remote.test", m), "250")
	if lines := srv.transcripts()[0].lines; lines[1] != "MAIL FROM:<alice@petrel.test>" || lines[2] != "RCPT TO:<a@remote.test>" {
		t.Fatalf("DSN parameters to a server without DSN: %q", lines)
	}
}

func TestRelayhostAuth(t *testing.T) {
	cfg, pool := selfSigned(t, "relay.test")
	srv := startFake(t, &fakeServer{tls: cfg, ext: []string{"AUTH LOGIN PLAIN"}})
	e := newEnv(t, 1)
	e.cfg.TLSConfig = &tls.Config{RootCAs: pool} // delivery.tls_ca_file
	e.dns.Add(t, "relay.test. A 127.0.0.1")
	e.cfg.Relayhost = "[relay.test]:" + strings.Split(srv.addr, ":")[1]
	e.cfg.RelayUser, e.cfg.RelayPassword = "user", "secret"
	res := e.send("anywhere.test", msg("x\r\n", "a@anywhere.test"))
	want(t, res, "250")
	lines := srv.transcripts()[0].lines
	auth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00user\x00secret"))
	if !slices.Contains(lines, auth) || res[0].RemoteMTA != "relay.test" || res[0].TLS == "" {
		t.Fatalf("lines = %q, result %+v", lines, res[0])
	}
}

// The relay host's credentials go only to a server whose certificate is
// valid for the relay host's name: an on-path attacker with a certificate
// of its own (or for another name) gets no AUTH, and the mail waits.
func TestRelayhostCredentialsNeedTrustedCertificate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		trust bool
	}{{"untrusted", []string{"relay.test"}, false}, {"another name", []string{"other.test"}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, pool := selfSigned(t, tc.names...)
			srv := startFake(t, &fakeServer{tls: cfg, ext: []string{"AUTH PLAIN"}})
			e := newEnv(t, 1)
			if tc.trust {
				e.cfg.TLSConfig = &tls.Config{RootCAs: pool}
			}
			e.dns.Add(t, "relay.test. A 127.0.0.1")
			e.cfg.Relayhost = "[relay.test]:" + strings.Split(srv.addr, ":")[1]
			e.cfg.RelayUser, e.cfg.RelayPassword = "user", "secret"
			if res := e.send("anywhere.test", msg("x\r\n", "a@anywhere.test")); res[0].Delivered() || res[0].Reply.Code/100 != 4 {
				t.Fatalf("result %+v, want a temporary failure", res[0])
			}
			for _, tr := range srv.transcripts() {
				for _, l := range tr.lines {
					if strings.HasPrefix(l, "AUTH") || strings.HasPrefix(l, "MAIL") {
						t.Fatalf("sent %q to a relay host with an untrusted certificate", l)
					}
				}
			}
		})
	}
}

func TestRelayhostCredentialsNeedTLS(t *testing.T) {
	srv := startFake(t, &fakeServer{ext: []string{"AUTH PLAIN"}})
	e := newEnv(t, 1)
	e.cfg.Relayhost = srv.addr
	e.cfg.RelayUser, e.cfg.RelayPassword = "user", "secret"
	want(t, e.send("anywhere.test", msg("x\r\n", "a@anywhere.test")), "451 4.7.10")
	for _, l := range srv.transcripts()[0].lines {
		if strings.HasPrefix(l, "AUTH") || strings.HasPrefix(l, "MAIL") {
			t.Fatalf("sent %q without TLS", l)
		}
	}
}

func TestRoutes(t *testing.T) {
	srv := startFake(t, &fakeServer{})
	e := newEnv(t, 1)
	e.cfg.Relayhost = "127.0.0.9:1" // the route wins over the relay host
	e.cfg.Routes = map[string]string{"Internal.Test": srv.addr}
	res := e.send("internal.test", msg("x\r\n", "a@internal.test"))
	want(t, res, "250")
	if res[0].RemoteMTA != "127.0.0.1" || e.dns.Queries() != 0 {
		t.Fatalf("result %+v, %d DNS queries", res[0], e.dns.Queries())
	}
}

func TestTimeouts(t *testing.T) {
	silent := startFake(t, &fakeServer{silent: true})
	e := newEnv(t, silent.port())
	e.cfg.CommandTimeout = 200 * time.Millisecond
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	start := time.Now()
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "451 4.4.2")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// TestTemporaryFailuresTryNextMX: a 4xx greeting and a 4xx to MAIL send
// the client to the next MX; a 5xx to MAIL decides.
func TestTemporaryFailuresTryNextMX(t *testing.T) {
	for _, tc := range []struct {
		first *fakeServer
		want  string
		next  bool
	}{
		{&fakeServer{greeting: "421 4.3.2 busy"}, "250", true},
		{&fakeServer{greeting: "554 5.3.2 go away"}, "250", true},
		{&fakeServer{mail: "451 4.3.0 try later"}, "250", true},
		{&fakeServer{mail: "550 5.7.1 sender refused"}, "550 5.7.1", false},
	} {
		first := startFake(t, tc.first)
		second := startFakeOn(t, "127.0.0.2:"+strconv.Itoa(first.port()), &fakeServer{})
		e := newEnv(t, first.port())
		e.dns.Add(t, "remote.test. MX 10 a.remote.test.", "remote.test. MX 20 b.remote.test.",
			"a.remote.test. A 127.0.0.1", "b.remote.test. A 127.0.0.2")
		want(t, e.send("remote.test", msg("x\r\n", "x@remote.test")), tc.want)
		if got := len(second.transcripts()) == 1; got != tc.next {
			t.Errorf("%q/%q: second MX tried = %v", tc.first.greeting, tc.first.mail, got)
		}
	}
	// Only one MX, answering 4xx: temporary, with its reply.
	_, e := oneMX(t, &fakeServer{greeting: "421 4.3.2 busy"})
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "421 4.3.2 busy")
}

func TestHELOFallback(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{noEHLO: true})
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "250")
	if lines := srv.transcripts()[0].lines; lines[1] != "HELO out.petrel.test" {
		t.Fatalf("lines = %q", lines)
	}
}

func TestBodyError(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{})
	m := msg("x\r\n", "a@remote.test")
	m.Body = func() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }
	res := e.send("remote.test", m)
	want(t, res, "451 4.3.0")
	if strings.Contains(res[0].Reply.Text, "fire") {
		t.Fatal("Go error text in the reply")
	}
	time.Sleep(50 * time.Millisecond)
	if tr := srv.transcripts()[0]; tr.body != "" {
		t.Fatalf("server got a body: %q", tr.body)
	}
}

func TestBadEnvelope(t *testing.T) {
	e := newEnv(t, 1)
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test\r\nRSET")), "501 5.1.3")
	if e.dns.Queries() != 0 {
		t.Fatal("looked up a domain for a bad envelope")
	}
}

// TestLostAfterData: a server that never answers the end of data leaves
// the recipients temporary, and no other host is tried (it may have the
// message).
func TestLostAfterData(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{dataEnd: "-"})
	e.cfg.DataTimeout = 200 * time.Millisecond
	e.dns.Add(t, "remote.test. MX 20 mx2.remote.test.", "mx2.remote.test. A 127.0.0.1")
	want(t, e.send("remote.test", msg("x\r\n", "a@remote.test")), "451 4.4.2")
	if n := len(srv.transcripts()); n != 1 {
		t.Fatalf("%d connections", n)
	}
}
