package main

// Scenario tests of inbound mail authentication (issue 7): `petrel serve`
// in this process with its MX, LMTP and submission listeners on loopback
// and dns.servers pointing at a dnstest server that publishes the SPF,
// DKIM and DMARC records of the sending domains. Clients are go-smtp's.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// authSite is a Petrel for petrel.test (host mx.petrel.test) with users
// bob and alice, and the DNS of the senders:
//
//   - sender.test: SPF for 127.0.0.1, an RSA DKIM key, p=reject
//   - bank.test: p=reject; q.test: p=quarantine
//   - flaky.test: its DMARC record lookup answers SERVFAIL
//   - petrel.test itself: SPF -all, p=reject
type authSite struct {
	*outSite
	lmtp string
	dns  *dnstest.Server
	keys string // sender.test's DKIM key directory (the sender's side)
}

const authHost = "mx.petrel.test"

func newAuthSite(t *testing.T) *authSite {
	t.Helper()
	dns := dnstest.Start(t)
	keys := t.TempDir()
	k, err := dkim.Generate(keys, "sender.test", "s1", dkim.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dns.Add(t, k.ZoneRecord(),
		`sender.test. TXT "v=spf1 ip4:127.0.0.1 -all"`,
		`_dmarc.sender.test. TXT "v=DMARC1; p=reject"`,
		`_dmarc.bank.test. TXT "v=DMARC1; p=reject"`,
		`_dmarc.q.test. TXT "v=DMARC1; p=quarantine"`,
		`petrel.test. TXT "v=spf1 -all"`,
		`_dmarc.petrel.test. TXT "v=DMARC1; p=reject"`)
	dns.ServFail("_dmarc.flaky.test")

	dir := t.TempDir()
	s := &authSite{dns: dns, keys: keys, lmtp: testkit.FreeAddr(t), outSite: &outSite{t: t, domain: "petrel.test",
		config: filepath.Join(dir, "petrel.toml"), dataDir: filepath.Join(dir, "data"),
		smtp: testkit.FreeAddr(t), sub: testkit.FreeAddr(t), log: &testkit.LogBuffer{}}}
	cfg := fmt.Sprintf(`hostname = %q
data_dir = %q
[listen]
smtp = [%q]
submission = [%q]
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = []
lmtp = [%q]
[dns]
servers = [%q]
[log]
level = "info"
`, authHost, s.dataDir, s.smtp, s.sub, s.lmtp, dns.Addr)
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cli("", "domain", "add", "petrel.test")
	for _, u := range []string{"bob@petrel.test", "alice@petrel.test"} {
		s.cli(outPassword+"\n", "user", "add", u, "--password-stdin")
	}
	t.Cleanup(s.stop)
	s.start()
	return s
}

// authMessage is a message from `from` to bob with extra header fields on
// top, signed with sender.test's key when sign is set.
func (s *authSite) authMessage(from, subject, extra string, sign bool) []byte {
	s.t.Helper()
	msg := "From: " + from + "\r\nTo: <bob@petrel.test>\r\nSubject: " + subject + "\r\n" +
		"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") +
		"@client.test>\r\n\r\nHello Bob,\r\n\r\nthis is " + subject + ".\r\n"
	if sign {
		sig, err := dkim.NewSigner(s.keys, slog.New(slog.DiscardHandler)).Sign(context.Background(), strings.NewReader(msg))
		if err != nil || sig == "" {
			s.t.Fatalf("signing: %q %v", sig, err)
		}
		msg = sig + msg
	}
	return []byte(extra + msg)
}

// mailbox returns the messages in a mailbox of addr.
func (s *authSite) mailbox(addr, name string) [][]byte {
	s.t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: s.dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	id, err := st.LookupAddress(ctx, addr)
	if err != nil {
		s.t.Fatal(err)
	}
	mb, err := st.Mailbox(ctx, id, name)
	if err != nil {
		s.t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, mb.ID, 1, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := st.OpenBlob(ctx, m.Blob)
		if err != nil {
			s.t.Fatal(err)
		}
		raw, err := io.ReadAll(b)
		b.Close()
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// counts returns how many messages bob has in INBOX and in Junk.
func (s *authSite) counts() (inbox, junk int) {
	return len(s.mailbox("bob@petrel.test", store.InboxName)), len(s.mailbox("bob@petrel.test", "Junk"))
}

// wantReply checks that err is the SMTP reply code and enhanced code at
// the end of DATA.
func wantReply(t *testing.T, err error, code int, enhanced smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != code || se.EnhancedCode != enhanced || !strings.Contains(err.Error(), "end of DATA") {
		t.Fatalf("got %v, want %d %v at the end of DATA", err, code, enhanced)
	}
}

// ourField returns the Authentication-Results field Petrel added, which
// must be the second field (below Return-Path, above Received).
func ourField(t *testing.T, raw []byte) string {
	t.Helper()
	_, rest, ok := bytes.Cut(raw, []byte("\r\n"))
	field, _, ok2 := bytes.Cut(rest, []byte("\r\nReceived: from client.sender.test"))
	if !ok || !ok2 || !bytes.HasPrefix(field, []byte("Authentication-Results: "+authHost+";\r\n")) {
		t.Fatalf("no Authentication-Results of %s between Return-Path and Received:\n%s", authHost, raw)
	}
	return string(field)
}

func TestInboundAuthentication(t *testing.T) {
	s := newAuthSite(t)
	send := func(from string, msg []byte) error {
		return e2eSend(s.smtp, "client.sender.test", from, []string{"bob@petrel.test"}, msg)
	}

	// (1) Signed by sender.test, SPF pass: INBOX, everything passes, and
	// the stored message's signature still verifies.
	if err := send("sam@sender.test", s.authMessage("Sam <sam@sender.test>", "signed", "", true)); err != nil {
		t.Fatalf("signed message: %v", err)
	}
	inbox := s.mailbox("bob@petrel.test", store.InboxName)
	if len(inbox) != 1 {
		t.Fatalf("%d messages in the INBOX, want 1", len(inbox))
	}
	field := ourField(t, inbox[0])
	for _, want := range []string{"spf=pass smtp.mailfrom=sam@sender.test", "dkim=pass header.d=sender.test header.s=s1",
		"header.a=rsa-sha256", "dmarc=pass (p=reject dis=none) header.from=sender.test"} {
		if !strings.Contains(field, want) {
			t.Errorf("stored field lacks %q:\n%s", want, field)
		}
	}
	res, err := dkim.Verify(context.Background(), dnsr.New([]string{s.dns.Addr}, time.Second), bytes.NewReader(inbox[0]), 5)
	if err != nil || len(res) != 1 || res[0].Status != dkim.Pass {
		t.Errorf("the stored message's signature: %+v, %v", res, err)
	}

	// (2) A spoofed From under p=reject: 550 5.7.1 after the data, nothing
	// stored.
	err = send("attacker@evil.test", s.authMessage("CEO <ceo@bank.test>", "wire money", "", false))
	wantReply(t, err, 550, smtp.EnhancedCode{5, 7, 1})
	if !strings.Contains(err.Error(), "DMARC") || !strings.Contains(err.Error(), "bank.test") {
		t.Errorf("reply does not name DMARC and the From domain: %v", err)
	}
	if in, junk := s.counts(); in != 1 || junk != 0 {
		t.Fatalf("after the reject: INBOX %d, Junk %d; want 1, 0", in, junk)
	}

	// (3) p=quarantine: delivered to Junk.
	if err := send("news@evil.test", s.authMessage("<news@q.test>", "quarantined", "", false)); err != nil {
		t.Fatalf("quarantined message: %v", err)
	}
	junk := s.mailbox("bob@petrel.test", "Junk")
	if in := len(s.mailbox("bob@petrel.test", store.InboxName)); len(junk) != 1 || in != 1 {
		t.Fatalf("after the quarantine: INBOX %d, Junk %d; want 1, 1", in, len(junk))
	}
	if f := ourField(t, junk[0]); !strings.Contains(f, "dmarc=fail (p=quarantine dis=quarantine)") {
		t.Errorf("Junk message's field:\n%s", f)
	}

	// (4) The DMARC record lookup fails (SERVFAIL) and nothing aligns:
	// 451 4.7.1, nothing stored.
	err = send("x@evil.test", s.authMessage("<x@flaky.test>", "flaky", "", false))
	wantReply(t, err, 451, smtp.EnhancedCode{4, 7, 1})
	if in, junk := s.counts(); in != 1 || junk != 1 {
		t.Fatalf("after the temperror: INBOX %d, Junk %d; want 1, 1", in, junk)
	}

	// (5) Incoming fields: the one claiming our host name goes, another
	// server's stays.
	forged := "Authentication-Results: " + authHost + "; dkim=pass header.d=bank.test\r\n" +
		"Authentication-Results: other.example; spf=pass smtp.mailfrom=sam@sender.test\r\n"
	if err := send("sam@sender.test", s.authMessage("<sam@sender.test>", "forged results", forged, false)); err != nil {
		t.Fatalf("message with forged results: %v", err)
	}
	inbox = s.mailbox("bob@petrel.test", store.InboxName)
	if len(inbox) != 2 {
		t.Fatalf("%d messages in the INBOX, want 2", len(inbox))
	}
	got := string(inbox[1])
	if strings.Count(got, "Authentication-Results: "+authHost) != 1 || strings.Contains(got, "header.d=bank.test") ||
		!strings.Contains(got, "\r\nAuthentication-Results: other.example; spf=pass smtp.mailfrom=sam@sender.test\r\nFrom: ") {
		t.Errorf("stored message:\n%s", got)
	}
	ourField(t, inbox[1])
}

// TestInboundAuthenticationOnlyOnMX: LMTP (behind a trusted MTA) and
// submission (authenticated users) are not checked; the same message on
// the MX is refused.
func TestInboundAuthenticationOnlyOnMX(t *testing.T) {
	s := newAuthSite(t)
	msg := s.authMessage("Alice <alice@petrel.test>", "from alice", "", false)
	err := e2eSend(s.smtp, "client.sender.test", "alice@petrel.test", []string{"bob@petrel.test"}, msg)
	wantReply(t, err, 550, smtp.EnhancedCode{5, 7, 1})

	conn, err := net.Dial("tcp", s.lmtp)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mta.petrel.test"); err != nil {
		t.Fatal(err)
	}
	if err := e2eTransaction(c, "alice@petrel.test", []string{"bob@petrel.test"}, msg); err != nil {
		t.Fatalf("LMTP: %v", err)
	}
	if err := s.submit("alice@petrel.test", outPassword, []string{"bob@petrel.test"}, msg); err != nil {
		t.Fatalf("submission: %v", err)
	}
	inbox := s.mailbox("bob@petrel.test", store.InboxName)
	if len(inbox) != 2 {
		t.Fatalf("%d messages in the INBOX, want 2 (LMTP and submission)", len(inbox))
	}
	for i, raw := range inbox {
		if bytes.Contains(raw, []byte("Authentication-Results")) {
			t.Errorf("message %d was checked:\n%s", i, raw)
		}
	}
}
