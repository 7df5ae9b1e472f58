package vacation

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/testkit"
)

// reply answers req and parses the reply; it fails the test when there
// is none or the reply is not well-formed (checkWire).
func reply(t *testing.T, req Request) (*mail.Message, string) {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	rep, err := newResponder(clock).Reply(context.Background(), req)
	if err != nil || rep.Skip != "" {
		t.Fatalf("no reply: %+v, %v", rep, err)
	}
	if err := checkWire(rep.Body); err != nil {
		t.Fatalf("%v\n%s", err, rep.Body)
	}
	m, err := mail.ReadMessage(bytes.NewReader(rep.Body))
	if err != nil {
		t.Fatalf("reply does not parse: %v\n%s", err, rep.Body)
	}
	body, _ := io.ReadAll(m.Body)
	return m, string(body)
}

// checkWire is what every reply must be: CRLF line ends and nothing
// else, lines of at most 998 octets, a header that ends.
func checkWire(b []byte) error {
	if !bytes.Contains(b, []byte("\r\n\r\n")) {
		return errf("no end of header")
	}
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return errf("bare LF at %d", i)
		}
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return errf("bare CR at %d", i)
		}
	}
	for l := range bytes.SplitSeq(b, []byte("\r\n")) {
		if len(l) > 998 {
			return errf("line of %d octets", len(l))
		}
	}
	return nil
}

type wireError string

func (e wireError) Error() string { return string(e) }

func errf(s string, a ...any) error { return wireError(strings.TrimSpace(sprintf(s, a...))) }

var wd = mime.WordDecoder{}

// The reply's fields (RFC 5230 §5, RFC 3834 §5): to the reverse path,
// from the recipient, "Auto: " and the subject, threaded, marked
// auto-replied, a fresh Message-ID and a Date, the reason as text/plain.
func TestReplyFields(t *testing.T) {
	req := request(message("References: <r0@remote.example>\r\n\t<r1@remote.example>\r\n"))
	req.ReversePath = "bounce-123@mailer.remote.example" // not the From field's address
	m, body := reply(t, req)
	want := map[string]string{
		"To": "<bounce-123@mailer.remote.example>", "From": "<alice@example.org>", "Subject": "Auto: Lunch",
		"In-Reply-To": "<m1@remote.example>", "References": "<r0@remote.example> <r1@remote.example> <m1@remote.example>",
		"Auto-Submitted": "auto-replied", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "7bit",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<vacation.") || !strings.HasSuffix(id, "@mx.example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("Date %v, %v", d, err)
	}
	if body != "I am away." {
		t.Errorf("body %q", body)
	}
	if m2, _ := reply(t, request(message(""))); m2.Header.Get("Message-ID") == m.Header.Get("Message-ID") {
		t.Error("two replies with the same Message-ID")
	}
}

// Without References, In-Reply-To carries the thread (RFC 5322
// §3.6.4); without a Message-ID there is nothing to refer to.
func TestThreadingFallbacks(t *testing.T) {
	m, _ := reply(t, request([]byte("From: bob@remote.example\r\nTo: alice@example.org\r\n"+
		"Message-ID: <m2@remote.example>\r\nIn-Reply-To: <m1@example.org>\r\n\r\nhi\r\n")))
	if got := m.Header.Get("References"); got != "<m1@example.org> <m2@remote.example>" {
		t.Errorf("References %q", got)
	}
	m, _ = reply(t, request([]byte("From: bob@remote.example\r\nTo: alice@example.org\r\n\r\nhi\r\n")))
	if m.Header.Get("In-Reply-To") != "" || m.Header.Get("References") != "" || m.Header.Get("Subject") != "Automated reply" {
		t.Errorf("no Message-ID, no Subject: %v", m.Header)
	}
	var refs strings.Builder
	for i := range 50 {
		refs.WriteString(sprintf(" <r%d@remote.example>", i))
	}
	m, _ = reply(t, request(message("References:"+refs.String()+"\r\n")))
	got := strings.Fields(m.Header.Get("References"))
	if len(got) != maxReferences || got[0] != "<r0@remote.example>" || got[len(got)-1] != "<m1@remote.example>" {
		t.Errorf("References of a long thread: %d IDs: %v", len(got), got)
	}
}

// Subjects (RFC 5230 §4.3, §5.5): :subject replaces the default; an
// encoded original is decoded and the reply's encoded again; a long one
// is cut and folded; a reply to a reply gets no second "Auto:".
func TestSubject(t *testing.T) {
	cases := []struct{ field, subject, want string }{
		{"=?iso-8859-1?q?Caf=E9?= =?utf-8?q?_=C3=A0_midi?=", "", "Auto: Café à midi"},
		{"=?windows-1252?q?=80uro?=", "", "Auto: €uro"},
		{"=?x-unknown?q?abc?=", "", "Auto: =?x-unknown?q?abc?="},
		{"Auto: Lunch", "", "Auto: Lunch"},
		{"Lunch", "Abwesend: Grüße", "Abwesend: Grüße"},
	}
	for _, c := range cases {
		req := request(message(""))
		req.Message = bytes.Replace(req.Message, []byte("Subject: Lunch"), []byte("Subject: "+c.field), 1)
		req.Action.Subject = c.subject
		m, _ := reply(t, req)
		got, err := wd.DecodeHeader(m.Header.Get("Subject"))
		if strings.Contains(c.field, "x-unknown") {
			got, err = m.Header.Get("Subject"), nil // kept as written
		}
		if err != nil || got != c.want {
			t.Errorf("Subject %q: %q (%v), want %q", c.field, got, err, c.want)
		}
	}
	req := request(message(""))
	req.Action.Subject = strings.Repeat("très long ", 60)
	m, _ := reply(t, req)
	got, _ := wd.DecodeHeader(m.Header.Get("Subject"))
	if n := utf8.RuneCountInString(got); n != maxSubject {
		t.Errorf("long subject: %d runes, want %d", n, maxSubject)
	}
}

// Nothing the sender or the script writes adds a field or ends the
// header: CR and LF in :subject, :from, an encoded original subject and
// a :mime entity's fields are neutralised.
func TestInjection(t *testing.T) {
	req := request(message(""))
	req.Message = bytes.Replace(req.Message, []byte("Subject: Lunch"),
		[]byte("Subject: =?utf-8?q?hi=0D=0ABcc:_victim@remote.example=0D=0A=0D=0Abody?="), 1)
	req.Action.From = "Alice <alice@example.org>\r\nBcc: victim@remote.example"
	m, _ := reply(t, req)
	if len(m.Header["Bcc"]) != 0 || m.Header.Get("From") != "<alice@example.org>" {
		t.Errorf("injected through the subject or :from: %v", m.Header)
	}
	req = request(message(""))
	req.Action.Subject = "Out\r\nBcc: victim@remote.example\nX-Evil: 1"
	req.Action.MIME = true
	req.Action.Reason = "Bcc: victim@remote.example\r\nTo: victim@remote.example\r\nContent-Type: text/plain\r\n\r\naway\r\n"
	m, body := reply(t, req)
	if len(m.Header["Bcc"]) != 0 || len(m.Header["X-Evil"]) != 0 || len(m.Header["To"]) != 1 ||
		m.Header.Get("To") != "<bob@remote.example>" || body != "away\r\n" {
		t.Errorf("injected through :subject or the :mime entity: %v, body %q", m.Header, body)
	}
}

// :from with a display name is used as written (encoded when needed);
// one that is no address falls back to the recipient (RFC 5230 §4.3).
func TestFrom(t *testing.T) {
	for from, want := range map[string]string{
		"Alice Smith <a.smith@example.net>": `"Alice Smith" <a.smith@example.net>`,
		"Zoë <alice@example.org>":           "=?utf-8?q?Zo=C3=AB?= <alice@example.org>",
		"not an address":                    "<alice@example.org>",
	} {
		req := request(message(""))
		req.Action.From = from
		if m, _ := reply(t, req); m.Header.Get("From") != want {
			t.Errorf(":from %q: From %q, want %q", from, m.Header.Get("From"), want)
		}
	}
}

// The body (RFC 5230 §5.8): a non-ASCII reason is quoted-printable UTF-8
// with CRLF line ends; with :mime the reason is the entity.
func TestBody(t *testing.T) {
	req := request(message(""))
	req.Action.Reason = "Je suis absent.\nRetour lundi — merci.\n"
	m, body := reply(t, req)
	if m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("CTE %q", m.Header.Get("Content-Transfer-Encoding"))
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil || string(dec) != "Je suis absent.\r\nRetour lundi — merci.\r\n" {
		t.Errorf("decoded body %q, %v", dec, err)
	}
	req = request(message(""))
	req.Action.MIME = true
	req.Action.Reason = "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\naway\n--b--\n"
	m, body = reply(t, req)
	if m.Header.Get("Content-Type") != "multipart/alternative; boundary=b" || len(m.Header["Content-Type"]) != 1 ||
		body != "--b\r\nContent-Type: text/plain\r\n\r\naway\r\n--b--\r\n" {
		t.Errorf(":mime: %v, body %q", m.Header, body)
	}
	req.Action.Reason = "just text, no header"
	m, body = reply(t, req)
	if m.Header.Get("Content-Type") != "text/plain; charset=utf-8" || body != "just text, no header\r\n" {
		t.Errorf(":mime without a header: %v, body %q", m.Header, body)
	}
}
