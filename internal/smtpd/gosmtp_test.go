package smtpd

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// dialGoSMTP connects go-smtp's client and says EHLO.
func dialGoSMTP(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

func wantSMTPError(t *testing.T, err error, code int, enh smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != code || se.EnhancedCode != enh {
		t.Fatalf("got %v, want %d %v", err, code, enh)
	}
}

func TestGoSMTPClient(t *testing.T) {
	ts := start(t, testConfig(), nil)
	ts.d.rejectRcpt("nobody@mx.test", smtpreply.NoSuchUser("nobody@mx.test"))
	ts.d.rejectRcpt("x@elsewhere.example", smtpreply.RelayDenied("x@elsewhere.example"))
	c := dialGoSMTP(t, ts.addr)
	if size, ok := c.MaxMessageSize(); !ok || size != 10000 {
		t.Fatalf("SIZE %d %v", size, ok)
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("%s not offered", ext)
		}
	}
	if ok, _ := c.Extension("BINARYMIME"); ok {
		t.Error("BINARYMIME offered")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered")
	}

	// 552 5.3.4 at MAIL for a declared SIZE over the limit; the session goes on.
	wantSMTPError(t, c.Mail("a@example.org", &smtp.MailOptions{Size: 20000}), 552, smtp.EnhancedCode{5, 3, 4})
	if err := c.Mail("a@example.org", &smtp.MailOptions{Body: smtp.Body8BitMIME, UTF8: true,
		Return: smtp.DSNReturnHeaders, EnvelopeID: "env=1"}); err != nil {
		t.Fatal(err)
	}
	wantSMTPError(t, c.Rcpt("nobody@mx.test", nil), 550, smtp.EnhancedCode{5, 1, 1})
	wantSMTPError(t, c.Rcpt("x@elsewhere.example", nil), 554, smtp.EnhancedCode{5, 7, 1})
	if err := c.Rcpt("b@mx.test", &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure},
		OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "b+x@mx.test"}); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: go-smtp\r\n\r\n.leading dot\r\nend\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Too big while reading, then the session is still usable.
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@mx.test", nil); err != nil {
		t.Fatal(err)
	}
	w, _ = c.Data()
	w.Write([]byte(strings.Repeat("y", 12000)))
	wantSMTPError(t, w.Close(), 552, smtp.EnhancedCode{5, 3, 4})
	if err := c.Noop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}

	m := ts.d.messages()
	if len(m) != 1 {
		t.Fatalf("%d messages", len(m))
	}
	e := m[0].env
	if e.EnvID != "env=1" || e.Ret != "HDRS" || !e.SMTPUTF8 || e.Body != "8BITMIME" ||
		!strings.EqualFold(e.Recipients[0].ORcpt, "rfc822;b+x@mx.test") || e.Recipients[0].Notify[0] != "FAILURE" {
		t.Fatalf("envelope %+v", e)
	}
	if string(m[0].body) != "Subject: go-smtp\r\n\r\n.leading dot\r\nend\r\n" {
		t.Fatalf("body %q", m[0].body)
	}
}

func TestGoSMTPDeliveryFailure(t *testing.T) {
	ts := start(t, testConfig(), nil)
	ts.d.failDelivery("full@mx.test", smtpreply.MailboxFull("full@mx.test"))
	c := dialGoSMTP(t, ts.addr)
	err := c.SendMail("a@example.org", []string{"b@mx.test", "full@mx.test"}, strings.NewReader("x\r\n"))
	wantSMTPError(t, err, 452, smtp.EnhancedCode{4, 2, 2})
}
