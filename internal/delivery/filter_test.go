package delivery

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// fakeFilter answers every scan with verdict and records what it saw.
type fakeFilter struct {
	verdict rspamd.Verdict
	inputs  []rspamd.Input
	read    []string
	discard bool // read the message and record nothing (benchmarks)
}

func (f *fakeFilter) Scan(_ context.Context, in rspamd.Input, msg io.Reader, size int64) rspamd.Verdict {
	if f.discard {
		io.Copy(io.Discard, msg)
		return f.verdict
	}
	b, _ := io.ReadAll(msg)
	f.inputs, f.read = append(f.inputs, in), append(f.read, string(b))
	return f.verdict
}

const spamField = "X-Spam-Status: Yes, score=7.90 required=15.00 action=\"add header\"\r\n\ttests=[X=7.90]\r\n"

func withFilter(f *fixture, v rspamd.Verdict) *fakeFilter {
	ff := &fakeFilter{verdict: v}
	f.svc.cfg.Filter = ff
	f.svc.cfg.Policies = []Policy{QuarantineJunk{}, SpamJunk{}}
	return ff
}

// TestFilterJunk: rspamd's junk verdict files the copy in Junk with
// $Junk, with X-Spam-Status above Authentication-Results; the scan saw
// the message without the forged fields, once for two recipients.
func TestFilterJunk(t *testing.T) {
	f := newFixture(t)
	withChecker(f, msgauth.Deliver, nil)
	ff := withFilter(f, rspamd.Verdict{Action: rspamd.Junk, Header: spamField, Scanned: true})
	if rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), inboundMessage); rs[0] != nil || rs[1] != nil {
		t.Fatalf("replies %v", rs)
	}
	if len(ff.inputs) != 1 || ff.read[0] != withoutForged {
		t.Fatalf("scans %d, read %q", len(ff.inputs), ff.read)
	}
	in := ff.inputs[0]
	if in.ID != "mxid00000001" || in.ClientIP.String() != "192.0.2.7" || in.Helo != "mail.remote.example" ||
		in.From != "s@remote.example" || !slices.Equal(in.Rcpt, []string{"alice@example.org", "bob@example.org"}) ||
		in.DeliverTo != "" {
		t.Errorf("input %+v", in)
	}
	for _, who := range []string{"alice@example.org", "bob@example.org"} {
		junk := f.mailbox(who, "Junk")
		if len(junk) != 1 || len(f.inbox(who)) != 0 || !slices.Contains(junk[0].Keywords, JunkKeyword) {
			t.Fatalf("%s: Junk %+v", who, junk)
		}
		if body := f.body(junk[0]); !strings.HasPrefix(body, "Return-Path: <s@remote.example>\r\n"+spamField+arField+"Received: ") {
			t.Fatalf("%s: stored message starts %q", who, body[:min(len(body), 300)])
		}
	}
}

// TestFilterAccept: a clean verdict keeps the message in INBOX, with its
// field; the one account is the Bayes user.
func TestFilterAccept(t *testing.T) {
	f := newFixture(t)
	field := "X-Spam-Status: No, score=0.10 required=15.00 action=\"no action\"\r\n\ttests=[]\r\n"
	ff := withFilter(f, rspamd.Verdict{Action: rspamd.Accept, Header: field, Scanned: true})
	msg := "From: <s@remote.example>\r\nSubject: hi\r\n\r\nHello.\r\n"
	if rs := f.deliverRaw(mx(t, "alice+tag@example.org"), msg); rs[0] != nil {
		t.Fatalf("reply %v", rs[0])
	}
	if len(ff.inputs) != 1 || ff.inputs[0].DeliverTo != "alice@example.org" {
		t.Fatalf("inputs %+v", ff.inputs)
	}
	ms := f.inbox("alice@example.org")
	if len(ms) != 1 || !strings.HasPrefix(f.body(ms[0]), "Return-Path: <s@remote.example>\r\n"+field+"Received: ") ||
		slices.Contains(ms[0].Keywords, JunkKeyword) {
		t.Fatalf("INBOX %+v", ms)
	}
}

// TestFilterRefused: reject and tempfail refuse every recipient with the
// verdict's reply and store nothing.
func TestFilterRefused(t *testing.T) {
	for _, r := range []*smtpreply.Reply{smtpreply.SpamRejected(), smtpreply.SpamTempFail(), smtpreply.FilterUnavailable()} {
		f := newFixture(t)
		withFilter(f, rspamd.Verdict{Action: rspamd.Reject, Reply: r})
		rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), inboundMessage)
		if rs[0] != r || rs[1] != r {
			t.Errorf("%v: replies %v", r, rs)
		}
		if n := len(f.inbox("alice@example.org")) + len(f.mailbox("alice@example.org", "Junk")); n != 0 {
			t.Errorf("%v: %d messages stored", r, n)
		}
	}
}

// TestFilterNotScanned: LMTP and submission (unless FilterSubmission)
// are not scanned; with FilterSubmission, a rejected submission is held,
// its local copy filed in Junk (TestFilterSubmissionHeld).
func TestFilterNotScanned(t *testing.T) {
	f := newFixture(t)
	ff := withFilter(f, rspamd.Verdict{Action: rspamd.Reject, Reply: smtpreply.SpamRejected()})
	msg := "From: <alice@example.org>\r\nSubject: hi\r\n\r\nHello.\r\n"
	for _, env := range []*envelope.Envelope{lmtp(t, "bob@example.org"), submitted(t, "bob@example.org")} {
		if rs := f.deliverRaw(env, msg); rs[0] != nil {
			t.Errorf("%s: reply %v", env.Listener, rs[0])
		}
	}
	if len(ff.inputs) != 0 {
		t.Fatalf("scanned %d", len(ff.inputs))
	}
	f.svc.cfg.FilterSubmission = true
	if rs := f.deliverRaw(submitted(t, "bob@example.org"), msg); rs[0] != nil {
		t.Errorf("submission with FilterSubmission: reply %v, want it held (nil)", rs[0])
	}
	if n := len(f.mailbox("bob@example.org", "Junk")); n != 1 {
		t.Errorf("the rejected submission's local copy: %d in Junk, want 1", n)
	}
	if len(ff.inputs) != 1 || ff.inputs[0].User != "alice@example.org" {
		t.Fatalf("inputs %+v", ff.inputs)
	}
}

// TestFilterSubmissionHeld: submitted mail that the content filter
// rejects is accepted and held, not refused or bounced (issue 17): its
// remote copy is queued held, for the operator to release or delete;
// its local copy goes to Junk. A temporary verdict still gets its 4xx;
// MX mail is still refused.
func TestFilterSubmissionHeld(t *testing.T) {
	f := newFixture(t)
	withFilter(f, rspamd.Verdict{Action: rspamd.Reject, Reply: smtpreply.SpamRejected()})
	q := withQueue(f)
	f.svc.cfg.FilterSubmission = true
	msg := fromAlice + "Subject: buy now\r\n\r\nHello.\r\n"
	rs := f.submit(submitted(t, "carol@remote.example", "bob@example.org"), msg)
	if rs[0] != nil || rs[1] != nil {
		t.Fatalf("replies %v, want both accepted (held)", rs)
	}
	if len(q.msgs) != 1 || !q.msgs[0].env.Held || q.msgs[0].rcpts[0] != "carol@remote.example" {
		t.Fatalf("queued %+v, want carol's copy held", q.msgs)
	}
	if n := len(f.mailbox("bob@example.org", "Junk")); n != 1 {
		t.Errorf("bob's copy: %d in Junk, want 1", n)
	}
	// A temporary verdict is not held: the client tries again.
	f2 := newFixture(t)
	withFilter(f2, rspamd.Verdict{Action: rspamd.TempFail, Reply: smtpreply.SpamTempFail()})
	q2 := withQueue(f2)
	f2.svc.cfg.FilterSubmission = true
	if rs := f2.submit(submitted(t, "carol@remote.example"), msg); rs[0] == nil || rs[0].Code != 451 || len(q2.msgs) != 0 {
		t.Errorf("soft reject of a submission: %v, %d queued; want 451 and nothing queued", rs, len(q2.msgs))
	}
}
