package main

import (
	"context"
	"crypto/tls"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpd"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeOutbound stands in for the outbound queue.
type fakeOutbound struct {
	mu    sync.Mutex
	rcpts [][]string
	body  []string
}

func (q *fakeOutbound) Enqueue(_ context.Context, _ *envelope.Envelope, body io.Reader, _ int64, rcpts []envelope.Recipient) (string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var rs []string
	for _, r := range rcpts {
		rs = append(rs, r.Addr.String())
	}
	q.rcpts, q.body = append(q.rcpts, rs), append(q.body, string(b))
	return "out", nil
}

func (q *fakeOutbound) queued() [][]string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([][]string(nil), q.rcpts...)
}

// submissionSite runs the MX and the two submission servers of
// submissionBindings on loopback, over SQLite, with a fake queue.
type submissionSite struct {
	t            *testing.T
	mx, sub, sbs string
	st           *sqlite.Store
	q            *fakeOutbound
	logs         *testkit.LogBuffer   // JSON, every level
	reg          *prometheus.Registry // the SMTP metrics
}

const alicePW = "alice-secret"

func startSubmissionSite(t *testing.T, guard authguard.Config) *submissionSite {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Hostname, cfg.DataDir = "mail.example.org", t.TempDir()
	st := testkit.OpenStore(t, cfg.DataDir)
	t.Cleanup(func() { st.Close() })
	acct := testkit.Accounts(st, accounts.Options{SubaddressSeparator: "+"})
	for _, u := range []string{"alice@example.org", "bob@example.org"} {
		testkit.AddUser(t, acct, u, strings.Replace(u, "@example.org", "-secret", 1))
	}
	must(t, acct.AddAlias(ctx, "team@example.org", []string{"alice@example.org", "bob@example.org"}))
	serverTLS, _ := testkit.TLS(t, cfg.Hostname, cfg.DataDir)
	must(t, os.MkdirAll(cfg.DataDir+"/"+smtpd.SpoolSubdir, 0o700))
	s := &submissionSite{t: t, st: st, q: &fakeOutbound{}, logs: &testkit.LogBuffer{}, reg: prometheus.NewRegistry()}
	log := testkit.JSONLogger(s.logs)
	d := deps{cfg: cfg, st: st, accounts: acct, guard: authguard.New(guard), tls: serverTLS, log: log}
	dlv := delivery.New(delivery.Config{Hostname: cfg.Hostname, Queue: s.q}, acct, st, log)
	m := smtpd.NewMetrics(s.reg)
	mxCfg := smtpd.FromConfig(cfg)
	mxCfg.TLS = serverTLS
	bs := append(submissionBindings(d, dlv, m, nil), binding{key: "listen.smtp", srv: smtpd.New(mxCfg, dlv, log, m)})
	addrs := make([]string, len(bs))
	for i, b := range bs {
		ln := testkit.Listen(t)
		addrs[i] = ln.Addr().String()
		go b.srv.Serve(ln)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			b.srv.Shutdown(ctx)
		})
	}
	s.sub, s.sbs, s.mx = addrs[0], addrs[1], addrs[2]
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// inbox returns the bodies in the INBOX of addr.
func (s *submissionSite) inbox(addr string) []string {
	ctx := context.Background()
	id, err := s.st.LookupAddress(ctx, addr)
	must(s.t, err)
	mb, err := s.st.Mailbox(ctx, id, "INBOX")
	must(s.t, err)
	ms, err := s.st.Messages(ctx, mb.ID, 1, 0)
	must(s.t, err)
	var out []string
	for _, m := range ms {
		out = append(out, s.blob(m))
	}
	return out
}

func (s *submissionSite) blob(m store.Message) string {
	b, err := s.st.OpenBlob(context.Background(), m.Blob)
	must(s.t, err)
	defer b.Close()
	data, err := io.ReadAll(b)
	must(s.t, err)
	return string(data)
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	se, ok := err.(*smtp.SMTPError)
	if !ok || se.Code != code {
		t.Fatalf("%s: got %v, want %d", what, err, code)
	}
}

// TestSubmissionRelaysOnlyWhenAuthenticated: on 587 an authenticated
// client reaches local and remote recipients (the remote ones through the
// queue); without AUTH it cannot even start; the MX never relays.
func TestSubmissionRelaysOnlyWhenAuthenticated(t *testing.T) {
	s := startSubmissionSite(t, authguard.Config{})
	c, err := smtp.DialStartTLS(s.sub, insecureTLS())
	must(t, err)
	defer c.Close()
	wantCode(t, "MAIL before AUTH", c.Mail("alice@example.org", nil), 530)
	wantCode(t, "wrong password", c.Auth(sasl.NewPlainClient("", "alice@example.org", "nope")), 535)
	must(t, c.Auth(sasl.NewPlainClient("", "alice@example.org", alicePW)))
	msg := "From: Alice <alice@example.org>\r\nTo: bob@example.org, x@remote.example\r\nSubject: hi\r\n\r\nhello\r\n"
	must(t, c.SendMail("alice@example.org", []string{"bob@example.org", "x@remote.example"}, strings.NewReader(msg)))
	got := s.inbox("bob@example.org")
	if len(got) != 1 || !strings.Contains(got[0], "with ESMTPSA") || !strings.Contains(got[0], "\r\nMessage-ID: <") ||
		!strings.Contains(got[0], "@mail.example.org>\r\n") || !strings.Contains(got[0], "\r\nDate: ") {
		t.Fatalf("bob's inbox: %q", got)
	}
	if received := got[0][strings.Index(got[0], "Received:"):strings.Index(got[0], "From: Alice")]; strings.Contains(received, "alice") {
		t.Fatalf("the trace fields name the login: %q", got[0])
	}
	if q := s.q.queued(); len(q) != 1 || len(q[0]) != 1 || q[0][0] != "x@remote.example" {
		t.Fatalf("queued %q", q)
	}
	// The MX: no relaying, authenticated or not (it offers no AUTH).
	mx, err := smtp.Dial(s.mx)
	must(t, err)
	defer mx.Close()
	must(t, mx.Mail("someone@remote.example", nil))
	wantCode(t, "MX relay", mx.Rcpt("x@remote.example", nil), 554)
	if ok, _ := mx.Extension("AUTH"); ok {
		t.Fatal("the MX offers AUTH")
	}
	if len(s.q.queued()) != 1 {
		t.Fatal("the MX queued mail for another domain")
	}
}

func TestSubmissionSenderRules(t *testing.T) {
	s := startSubmissionSite(t, authguard.Config{})
	c, err := smtp.DialTLS(s.sbs, insecureTLS())
	must(t, err)
	defer c.Close()
	must(t, c.Auth(sasl.NewLoginClient("alice@example.org", alicePW)))
	wantCode(t, "foreign envelope sender", c.Mail("bob@example.org", nil), 553)
	must(t, c.Reset())
	// The envelope is hers, the From: is not: 553 after the data.
	err = c.SendMail("alice@example.org", []string{"bob@example.org"}, strings.NewReader("From: bob@example.org\r\n\r\nx\r\n"))
	wantCode(t, "foreign From", err, 553)
	// An alias she belongs to, with a tag, is hers.
	must(t, c.SendMail("team+x@example.org", []string{"bob@example.org"},
		strings.NewReader("From: Team <team@example.org>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <m1@client>\r\n\r\nx\r\n")))
	got := s.inbox("bob@example.org")
	if len(got) != 1 || strings.Count(got[0], "Message-ID:") != 1 || strings.Count(got[0], "Date:") != 1 {
		t.Fatalf("bob's inbox: %q", got)
	}
}

// TestSubmissionThrottling: the shared guard slows the account after
// failures (the next attempt waits), and never locks it: the right
// password still logs in.
func TestSubmissionThrottling(t *testing.T) {
	s := startSubmissionSite(t, authguard.Config{AccountFree: 1, IPBlock: 100, IPFree: 100, BaseDelay: 200 * time.Millisecond})
	c, err := smtp.DialTLS(s.sbs, insecureTLS())
	must(t, err)
	defer c.Close()
	for range 3 {
		wantCode(t, "wrong password", c.Auth(sasl.NewPlainClient("", "bob@example.org", "guess")), 535)
	}
	start := time.Now()
	must(t, c.Auth(sasl.NewPlainClient("", "bob@example.org", "bob-secret")))
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("login after 3 failures took %v, want the 400 ms delay", d)
	}
}

// TestSubmissionSmtplib drives 587 with Python's smtplib: STARTTLS, login
// (PLAIN, then LOGIN), a wrong password, and the 553 of a foreign From.
func TestSubmissionSmtplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatal("python3 is required with PETREL_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	s := startSubmissionSite(t, authguard.Config{})
	host, port, _ := strings.Cut(s.sub, ":")
	out, err := exec.Command(py, "-c", smtplibSubmission, host, port, alicePW).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "530 535 235 553 ok 235" {
		t.Fatalf("smtplib saw %q", got)
	}
	got := s.inbox("bob@example.org")
	if len(got) != 2 || !strings.Contains(got[0], "Message-ID: <") {
		t.Fatalf("bob's inbox: %q", got)
	}
	if q := s.q.queued(); len(q) != 1 || q[0][0] != "carol@remote.example" {
		t.Fatalf("queued %q", q)
	}
}

const smtplibSubmission = `
import smtplib, ssl, sys
host, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = []
s = smtplib.SMTP(host, port, timeout=10)
s.starttls(context=ctx)
try:
    s.sendmail("alice@example.org", ["bob@example.org"], b"From: alice@example.org\r\n\r\nx\r\n")
except smtplib.SMTPSenderRefused as e:
    out.append(str(e.smtp_code))
try:
    s.login("alice@example.org", "wrong")
except smtplib.SMTPAuthenticationError as e:
    out.append(str(e.smtp_code))
out.append(str(s.login("alice@example.org", pw)[0]))
try:
    s.sendmail("alice@example.org", ["bob@example.org"], b"From: bob@example.org\r\n\r\nx\r\n")
except smtplib.SMTPDataError as e:
    out.append(str(e.smtp_code))
s.sendmail("alice@example.org", ["bob@example.org", "carol@remote.example"],
    b"From: Alice <alice@example.org>\r\nSubject: py\r\n\r\nhello\r\n")
out.append("ok")
s.quit()
s = smtplib.SMTP(host, port, timeout=10)
s.starttls(context=ctx)
s.ehlo()
s.user, s.password = "alice@example.org", pw
out.append(str(s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0]))
s.sendmail("alice@example.org", ["bob@example.org"], b"From: alice@example.org\r\nSubject: login\r\n\r\nx\r\n")
s.quit()
print(" ".join(out))
`

// insecureTLS trusts the self-signed test certificate.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }
