package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// withSigner gives the fixture's service a DKIM signer with a new key of
// algorithm for example.org, and returns a resolver asking a DNS server
// that publishes the key.
func withSigner(f *fixture, algorithm string) dkim.TXTResolver {
	f.t.Helper()
	signer, dns := testkit.DKIM(f.t, f.st, "example.org", "sel", algorithm)
	f.svc.cfg.Signer = signer
	return dns
}

// verifyDKIM verifies the signatures of a stored or queued message.
func verifyDKIM(t *testing.T, dns dkim.TXTResolver, msg string) []dkim.Result {
	t.Helper()
	res, err := dkim.Verify(context.Background(), dns, strings.NewReader(msg), 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// signatureTag returns the value of a tag of the first DKIM-Signature
// field of msg, unfolded.
func signatureTag(t *testing.T, msg, tag string) string {
	t.Helper()
	i := strings.Index(msg, "DKIM-Signature:")
	if i < 0 {
		t.Fatalf("no DKIM-Signature:\n%s", msg)
	}
	field := msg[i+len("DKIM-Signature:"):]
	for j := strings.Index(field, "\r\n"); j >= 0; j = strings.Index(field[j+2:], "\r\n") + j + 2 {
		if j+2 >= len(field) || (field[j+2] != ' ' && field[j+2] != '\t') {
			field = field[:j]
			break
		}
	}
	for _, kv := range strings.Split(strings.Join(strings.Fields(field), ""), ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == tag {
			return v
		}
	}
	t.Fatalf("no %s= in %q", tag, field)
	return ""
}

// TestSubmissionSigned: a submitted message to a local and a remote
// recipient gets one signature, below each copy's trace fields, over the
// added Date and Message-ID and the client's message; both copies carry
// the same octets after the trace and verify.
func TestSubmissionSigned(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.RSA)
	q := withQueue(f)
	const client = "From: Alice <alice@example.org>\r\nTo: bob@example.org, someone@remote.example\r\n" +
		"Subject: signed\r\n\r\nA body.\r\n.a dot line\r\n"
	env := submitted(t, "bob@example.org", "someone@remote.example")
	env.Received = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	if rs := f.submit(env, client); rs[0] != nil || rs[1] != nil {
		t.Fatalf("replies %v", rs)
	}
	local := f.body(f.inbox("bob@example.org")[0])
	if len(q.msgs) != 1 {
		t.Fatalf("%d messages queued", len(q.msgs))
	}
	queued := q.msgs[0].body
	if q.msgs[0].size != int64(len(queued)) {
		t.Errorf("queued size %d for %d octets", q.msgs[0].size, len(queued))
	}
	trace := f.svc.received(env, "")
	if !strings.HasPrefix(queued, trace+"DKIM-Signature: ") {
		t.Fatalf("queued copy does not start with Received then DKIM-Signature:\n%s", queued)
	}
	if !strings.HasPrefix(local, f.svc.traceHeaders(env, "")+"DKIM-Signature: ") {
		t.Fatalf("local copy does not start with Return-Path, Received, DKIM-Signature:\n%s", local)
	}
	signed := queued[len(trace):]
	if !strings.HasSuffix(local, signed) {
		t.Errorf("local and queued copies differ after the trace fields:\nlocal:\n%s\nqueued:\n%s", local, queued)
	}
	if !strings.HasSuffix(signed, "\r\n"+client) || !strings.Contains(signed, "\r\nDate: ") || !strings.Contains(signed, "\r\nMessage-ID: <") {
		t.Errorf("signed part is not signature + Date + Message-ID + the client's message:\n%s", signed)
	}
	if n := strings.Count(signed, "DKIM-Signature:"); n != 1 {
		t.Errorf("%d signatures, want 1 (one RSA key)", n)
	}
	for name, msg := range map[string]string{"local": local, "queued": queued} {
		res := verifyDKIM(t, dns, msg)
		if len(res) != 1 || res[0].Status != dkim.Pass || res[0].Domain != "example.org" || res[0].Selector != "sel" {
			t.Errorf("%s copy: Verify = %+v, want one pass for d=example.org s=sel", name, res)
		}
	}
	// The verification is real: a changed body fails.
	if res := verifyDKIM(t, dns, strings.Replace(queued, "A body.", "A bodY.", 1)); len(res) != 1 || res[0].Status != dkim.Fail {
		t.Errorf("changed body: Verify = %+v, want fail", res)
	}
}

// TestSubmissionSignedFields: From is over-signed (listed once more than
// it occurs, RFC 6376 §8.15), and the added Date and Message-ID are
// signed; Received and Return-Path are not.
func TestSubmissionSignedFields(t *testing.T) {
	f := newFixture(t)
	withSigner(f, dkim.Ed25519)
	rs := f.submit(submitted(t, "bob@example.org"), "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nbody\r\n")
	if rs[0] != nil {
		t.Fatal(rs[0])
	}
	msg := f.body(f.inbox("bob@example.org")[0])
	count := map[string]int{}
	for _, h := range strings.Split(signatureTag(t, msg, "h"), ":") {
		count[strings.ToLower(h)]++
	}
	for name, want := range map[string]int{"from": 2, "date": 2, "message-id": 2, "to": 2, "subject": 2, "received": 0, "return-path": 0} {
		if count[name] != want {
			t.Errorf("h= lists %s %d times, want %d (h=%s)", name, count[name], want, signatureTag(t, msg, "h"))
		}
	}
	if c := signatureTag(t, msg, "c"); c != "relaxed/relaxed" {
		t.Errorf("c=%s, want relaxed/relaxed", c)
	}
}

// TestSubmissionWithoutKeyUnsigned: a From domain without a key, the MX
// and a service without signer deliver unsigned.
func TestSubmissionWithoutKeyUnsigned(t *testing.T) {
	f := newFixture(t)
	withSigner(f, dkim.Ed25519)
	f.must(f.acct.AddDomain(f.ctx, "nokey.example"))
	f.must(f.acct.AddAlias(f.ctx, "alice@nokey.example", []string{"alice@example.org"}))
	env := submitted(t, "bob@example.org")
	env.From = rcpt(t, "alice@nokey.example").Addr
	if rs := f.submit(env, "From: alice@nokey.example\r\nSubject: x\r\n\r\nbody\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	// The MX signs nothing, whatever the From field says.
	if rs := f.svc.Deliver(f.ctx, &envelope.Envelope{ID: "mx", Recipients: []envelope.Recipient{rcpt(t, "bob@example.org")}},
		strings.NewReader(fromAlice+"\r\nbody\r\n"), int64(len(fromAlice)+8)); rs[0] != nil {
		t.Fatal(rs[0])
	}
	f.svc.cfg.Signer = nil
	if rs := f.submit(submitted(t, "bob@example.org"), fromAlice+"\r\nbody\r\n"); rs[0] != nil {
		t.Fatal(rs[0])
	}
	for i, m := range f.inbox("bob@example.org") {
		if b := f.body(m); strings.Contains(b, "DKIM-Signature") {
			t.Errorf("message %d signed:\n%s", i, b)
		}
	}
}

// failingSigner reads the message, then fails with key-like text in its
// error.
type failingSigner struct{}

func (failingSigner) Sign(_ context.Context, msg io.Reader) (string, error) {
	if _, err := io.Copy(io.Discard, msg); err != nil {
		return "", err
	}
	return "", errors.New("rsa: MIIEvQ-secret-key-bits")
}

// TestSigningErrorTempfails: a signing error refuses the message with 451
// 4.3.0 and a log reference; nothing is stored or queued, the error text
// stays off the wire and the body out of the log.
func TestSigningErrorTempfails(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	f.svc.cfg.Signer = failingSigner{}
	rs := f.submit(submitted(t, "bob@example.org", "someone@remote.example"), fromAlice+"\r\nconfidential body text\r\n")
	for i, r := range rs {
		if r == nil || r.Code != 451 || code(r) != "4.3.0" {
			t.Fatalf("reply %d = %v, want 451 4.3.0", i, r)
		}
		if strings.Contains(r.Text, "secret") || strings.Contains(r.Text, "rsa") {
			t.Errorf("error text on the wire: %q", r.Text)
		}
	}
	if n := len(f.inbox("bob@example.org")); n != 0 || len(q.msgs) != 0 {
		t.Errorf("%d stored, %d queued after a signing error", n, len(q.msgs))
	}
	logs := f.logs.String()
	if strings.Contains(logs, "confidential") {
		t.Errorf("message body in the log:\n%s", logs)
	}
	if !strings.Contains(logs, "DKIM signing") || !strings.Contains(logs, "ref=") {
		t.Errorf("signing error not logged with a reference:\n%s", logs)
	}
}

// TestSigningRewindsTheBody: the signer reads the spooled body to the end
// and the stored copy is still whole.
func TestSigningRewindsTheBody(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.Ed25519)
	body := strings.Repeat("a line of the body that goes on a while\r\n", 5000)
	if rs := f.submit(submitted(t, "bob@example.org"), fromAlice+"\r\n"+body); rs[0] != nil {
		t.Fatal(rs[0])
	}
	m := f.inbox("bob@example.org")[0]
	got := f.body(m)
	if !strings.HasSuffix(got, "\r\n\r\n"+body) || m.Size != int64(len(got)) {
		t.Fatalf("stored copy lost part of the body: %d octets, size %d", len(got), m.Size)
	}
	if res := verifyDKIM(t, dns, got); len(res) != 1 || res[0].Status != dkim.Pass {
		t.Errorf("Verify = %+v", res)
	}
}

// BenchmarkSign is the cost signing adds to a submitted message: one more
// read of the spooled body and an RSA 2048 signature.
func BenchmarkSign(b *testing.B) {
	keys, err := sqlite.Open(context.Background(), sqlite.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer keys.Close()
	if _, err := dkim.Generate(context.Background(), keys, "example.org", "sel", dkim.RSA, time.Now()); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Hostname: "mx.example.net", Signer: dkim.NewSigner(keys, slog.New(slog.DiscardHandler))},
		nil, nil, slog.New(slog.DiscardHandler))
	env := &envelope.Envelope{ID: "bench", AuthAccount: "alice@example.org"}
	for _, size := range []int{4 << 10, 1 << 20} {
		body := fromAlice + "Subject: bench\r\n\r\n" + strings.Repeat("a line of the body that goes on a while\r\n", size/42)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				msg := &message{body: strings.NewReader(body), size: int64(len(body)), read: true}
				if r := s.sign(context.Background(), env, msg); r != nil || msg.added == "" {
					b.Fatal(r)
				}
			}
		})
	}
}
