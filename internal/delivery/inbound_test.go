package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// fakeChecker returns its verdict for every message, with Remove set to
// the fields that start with forged (the fixture's host name), and
// records what it was asked.
type fakeChecker struct {
	verdict msgauth.Verdict
	err     error
	calls   []msgauth.Input
	read    string // the last message, as read
}

const forged = "Authentication-Results: mx.example.net"

func (c *fakeChecker) Check(_ context.Context, in msgauth.Input, msg io.Reader) (msgauth.Verdict, error) {
	c.calls = append(c.calls, in)
	b, err := io.ReadAll(msg)
	if err != nil {
		return msgauth.Verdict{}, err
	}
	c.read = string(b)
	v := c.verdict
	v.Remove = nil
	var at int64
	inForged := false
	for line := range strings.Lines(c.read) {
		next := at + int64(len(line))
		switch {
		case strings.HasPrefix(line, forged):
			v.Remove = append(v.Remove, msgauth.Range{Start: at, End: next})
			inForged = true
		case inForged && (line[0] == ' ' || line[0] == '\t'):
			v.Remove[len(v.Remove)-1].End = next
		default:
			inForged = false
		}
		at = next
	}
	return v, c.err
}

const arField = "Authentication-Results: mx.example.net;\r\n\tspf=pass smtp.mailfrom=s@remote.example\r\n"

// inboundMessage has a forged field of ours, one of another server, and
// a second forged one after it.
const inboundMessage = forged + "; dkim=pass header.d=bank.example\r\n" +
	"Authentication-Results: other.example; spf=pass\r\n" +
	forged + ";\r\n\tdmarc=pass header.from=bank.example\r\n" +
	"From: <s@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n"

// withChecker gives the fixture's service a checker answering action.
func withChecker(f *fixture, action msgauth.Action, reply *smtpreply.Reply) *fakeChecker {
	c := &fakeChecker{verdict: msgauth.Verdict{Action: action, Reply: reply, Header: arField}}
	f.svc.cfg.Checker = c
	f.svc.cfg.Policies = []Policy{QuarantineJunk{}}
	return c
}

// mx is an envelope as the MX listener makes it.
func mx(t *testing.T, rcpts ...string) *envelope.Envelope {
	env := &envelope.Envelope{ID: "mxid00000001", Listener: ListenerMX, Helo: "mail.remote.example",
		ClientIP: netip.MustParseAddr("192.0.2.7"), Protocol: "ESMTP", From: rcpt(t, "s@remote.example").Addr}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, rcpt(t, r))
	}
	return env
}

func (f *fixture) deliverRaw(env *envelope.Envelope, msg string) []*smtpreply.Reply {
	return f.svc.Deliver(f.ctx, env, strings.NewReader(msg), int64(len(msg)))
}

// mailbox returns the messages of an account's mailbox.
func (f *fixture) mailbox(addr, name string) []store.Message {
	f.t.Helper()
	mb, err := f.st.Mailbox(f.ctx, f.id(addr), name)
	f.must(err)
	ms, err := f.st.Messages(f.ctx, mb.ID, 1, 0)
	f.must(err)
	return ms
}

// withoutForged is inboundMessage as it must be stored.
var withoutForged = "Authentication-Results: other.example; spf=pass\r\n" +
	"From: <s@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n"

func TestInboundDeliver(t *testing.T) {
	f := newFixture(t)
	c := withChecker(f, msgauth.Deliver, nil)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), inboundMessage); rs[0] != nil {
		t.Fatalf("reply %v", rs[0])
	}
	want := msgauth.Input{ID: "mxid00000001", Listener: "smtp", ClientIP: netip.MustParseAddr("192.0.2.7"),
		Helo: "mail.remote.example", MailFrom: "s@remote.example"}
	if len(c.calls) != 1 || c.calls[0] != want || c.read != inboundMessage {
		t.Fatalf("checker called with %+v, read %q", c.calls, c.read)
	}
	ms := f.inbox("alice@example.org")
	if len(ms) != 1 {
		t.Fatalf("%d messages in the INBOX", len(ms))
	}
	body := f.body(ms[0])
	// Return-Path on top, then our field, then this hop's Received.
	head, rest, ok := strings.Cut(body, "Received: from mail.remote.example ([192.0.2.7])\r\n")
	if !ok || head != "Return-Path: <s@remote.example>\r\n"+arField {
		t.Fatalf("stored message starts %q", body[:min(len(body), 300)])
	}
	if _, orig, _ := strings.Cut(rest, "\r\n\t"); !strings.HasSuffix(orig, "\r\n"+withoutForged) ||
		strings.Contains(body, "bank.example") {
		t.Fatalf("stored message:\n%s\nwant it to end with:\n%s", body, withoutForged)
	}
	if ms[0].Size != int64(len(body)) || slices.Contains(ms[0].Keywords, JunkKeyword) {
		t.Fatalf("size %d for %d octets, keywords %v", ms[0].Size, len(body), ms[0].Keywords)
	}
}

func TestInboundRefused(t *testing.T) {
	for _, tc := range []struct {
		action msgauth.Action
		reply  *smtpreply.Reply
	}{
		{msgauth.Reject, smtpreply.DMARCRejected("bank.example")},
		{msgauth.TempFail, smtpreply.DMARCTempError("bank.example")},
	} {
		f := newFixture(t)
		withChecker(f, tc.action, tc.reply)
		rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), inboundMessage)
		if rs[0] != tc.reply || rs[1] != tc.reply {
			t.Errorf("%v: replies %v, %v; want %v for both", tc.action, rs[0], rs[1], tc.reply)
		}
		if n := len(f.inbox("alice@example.org")) + len(f.mailbox("alice@example.org", "Junk")); n != 0 {
			t.Errorf("%v: %d messages stored", tc.action, n)
		}
	}
}

// TestInboundJunk: local copies go to Junk (INBOX when the account has no
// Junk mailbox) marked $Junk; the forwarded copy goes out as it is, with
// the alias in Delivered-To (forward.go).
func TestInboundJunk(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	withChecker(f, msgauth.Junk, nil)
	f.must(f.st.DeleteMailbox(f.ctx, f.id("bob@example.org"), "Junk"))
	rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org", "fwd@example.org"), inboundMessage)
	for i, r := range rs {
		if r != nil {
			t.Fatalf("recipient %d: %v", i, r)
		}
	}
	junk, inbox := f.mailbox("alice@example.org", "Junk"), f.inbox("alice@example.org")
	if len(junk) != 1 || len(inbox) != 0 || !slices.Contains(junk[0].Keywords, JunkKeyword) {
		t.Fatalf("alice: Junk %+v, INBOX %d messages", junk, len(inbox))
	}
	if bob := f.inbox("bob@example.org"); len(bob) != 1 || !slices.Contains(bob[0].Keywords, JunkKeyword) {
		t.Fatalf("bob (no Junk mailbox): INBOX %+v", bob)
	}
	if len(q.msgs) != 1 || !strings.HasPrefix(q.msgs[0].body, "Delivered-To: fwd@example.org\r\n"+arField+"Received: ") ||
		!strings.HasSuffix(q.msgs[0].body, "\r\n"+withoutForged) || q.msgs[0].size != int64(len(q.msgs[0].body)) {
		t.Fatalf("queued: %+v", q.msgs)
	}
}

// TestInboundNotChecked: LMTP, submission, other listeners and a service
// without a checker do not authenticate.
func TestInboundNotChecked(t *testing.T) {
	f := newFixture(t)
	c := withChecker(f, msgauth.Reject, smtpreply.DMARCRejected("x.example"))
	lmtp := mx(t, "alice@example.org")
	lmtp.Listener, lmtp.PerRecipient = "lmtp", true
	sub := submitted(t, "bob@example.org")
	sub.Listener = "submission"
	authMX := mx(t, "bob@example.org")
	authMX.AuthAccount, authMX.From = "alice@example.org", rcpt(t, "alice@example.org").Addr
	msg := "From: Alice <alice@example.org>\r\n\r\nhi\r\n"
	for _, env := range []*envelope.Envelope{lmtp, sub, authMX, {Recipients: []envelope.Recipient{rcpt(t, "alice@example.org")}}} {
		if rs := f.deliverRaw(env, msg); rs[0] != nil {
			t.Errorf("listener %q: %v", env.Listener, rs[0])
		}
	}
	f.svc.cfg.Checker = nil
	if rs := f.deliverRaw(mx(t, "alice@example.org"), msg); rs[0] != nil {
		t.Errorf("no checker: %v", rs[0])
	}
	if len(c.calls) != 0 {
		t.Fatalf("checked: %+v", c.calls)
	}
	for _, m := range append(f.inbox("alice@example.org"), f.inbox("bob@example.org")...) {
		if strings.Contains(f.body(m), "Authentication-Results") {
			t.Errorf("unchecked message has Authentication-Results:\n%s", f.body(m))
		}
	}
}

func TestInboundCheckError(t *testing.T) {
	f := newFixture(t)
	c := withChecker(f, msgauth.Deliver, nil)
	c.err = errors.New("resolver exploded at /secret")
	rs := f.deliverRaw(mx(t, "alice@example.org"), inboundMessage)
	if rs[0] == nil || rs[0].Code != 451 || strings.Contains(rs[0].Text, "exploded") {
		t.Fatalf("reply %v", rs[0])
	}
	if n := len(f.inbox("alice@example.org")); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

func TestSkipReader(t *testing.T) {
	const s = "0123456789abcdefghij"
	for _, tc := range []struct {
		skip []msgauth.Range
		want string
	}{
		{nil, s},
		{[]msgauth.Range{{Start: 0, End: 3}}, "3456789abcdefghij"},
		{[]msgauth.Range{{Start: 2, End: 4}, {Start: 4, End: 6}, {Start: 10, End: 12}}, "016789cdefghij"},
		{[]msgauth.Range{{Start: 15, End: 20}}, "0123456789abcde"},
	} {
		sr, n, err := newSkipReader(strings.NewReader(s), tc.skip)
		if err != nil {
			t.Fatal(err)
		}
		for pass := range 2 {
			got, err := io.ReadAll(iotest.OneByteReader(sr))
			if err != nil || string(got) != tc.want || int64(len(s))-n != int64(len(tc.want)) {
				t.Errorf("skip %v pass %d: %q (%d removed), %v; want %q", tc.skip, pass, got, n, err, tc.want)
			}
			if _, err := sr.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSkipReaderSeekStartOnly: a skipReader rewinds and nothing else.
func TestSkipReaderSeekStartOnly(t *testing.T) {
	sr, _, _ := newSkipReader(bytes.NewReader([]byte("abc")), nil)
	if _, err := sr.Seek(1, io.SeekStart); err == nil {
		t.Fatal("Seek(1) succeeded")
	}
}
