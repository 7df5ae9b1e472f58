package smtpclient

import (
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// gosmtpSession records one transaction received by go-smtp's server.
type gosmtpSession struct {
	mu    *sync.Mutex
	got   *[]string
	rcpts int
}

func (s *gosmtpSession) Reset()        {}
func (s *gosmtpSession) Logout() error { return nil }

func (s *gosmtpSession) Mail(from string, opts *smtp.MailOptions) error {
	s.record("MAIL " + from + " ret=" + string(opts.Return) + " envid=" + opts.EnvelopeID + " body=" + string(opts.Body))
	return nil
}

func (s *gosmtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.record("RCPT " + to + " orcpt=" + opts.OriginalRecipient)
	return nil
}

func (s *gosmtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.record("DATA " + string(b))
	return err
}

func (s *gosmtpSession) record(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.got = append(*s.got, line)
}

// TestInteropGoSMTP delivers to go-smtp's server, an independent
// implementation, over STARTTLS with DSN parameters.
func TestInteropGoSMTP(t *testing.T) {
	var mu sync.Mutex
	var got []string
	tlsCfg, _ := selfSigned(t, "mx.remote.test")
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &gosmtpSession{mu: &mu, got: &got}, nil
	}))
	srv.Domain, srv.TLSConfig, srv.EnableDSN, srv.MaxMessageBytes = "mx.remote.test", tlsCfg, true, 1<<20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	port, _ := strconv.Atoi(strings.Split(ln.Addr().String(), ":")[1])
	e := newEnv(t, port)
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
	m := msg("Subject: hi\r\n\r\nbody\r\n", "a@remote.test", "nobody@remote.test")
	m.Ret, m.EnvID, m.EightBit = "FULL", "env 1", true
	m.Rcpts[0].ORcpt = "rfc822;a@remote.test"
	res := e.send("remote.test", m)
	want(t, res, "250", "550 5.1.1 no such user")
	if !strings.HasPrefix(res[0].TLS, "TLS1.3") {
		t.Fatalf("TLS = %q", res[0].TLS)
	}
	mu.Lock()
	defer mu.Unlock()
	wantLines := []string{
		"MAIL alice@petrel.test ret=FULL envid=env 1 body=8BITMIME",
		"RCPT a@remote.test orcpt=a@remote.test",
		"DATA Subject: hi\r\n\r\nbody\r\n",
	}
	if strings.Join(got, "|") != strings.Join(wantLines, "|") {
		t.Fatalf("server got %q", got)
	}
}
