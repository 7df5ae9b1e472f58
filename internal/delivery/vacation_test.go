package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/vacation"
)

type failingVacationer struct{}

func (failingVacationer) Reply(context.Context, vacation.Request) (*vacation.Reply, error) {
	return nil, errors.New("store down")
}

// vacationReply answers a vacation action with a reply to the reverse
// path, from the null reverse path, to be DKIM-signed, once per period;
// a list message, the null sender, a failing responder and a policy
// without one send nothing.
func TestVacationReply(t *testing.T) {
	f := newFixture(t)
	logs := &bytes.Buffer{}
	p := Sieve{Accounts: f.st, Log: slog.New(slog.NewTextHandler(logs, nil)),
		Vacation: vacation.New(vacation.Config{KV: f.st, Hostname: "mx.example.net"})}
	id := f.id("alice@example.org")
	acct, err := f.st.Account(f.ctx, id)
	f.must(err)
	r := Rcpt{Recipient: rcpt(t, "alice@example.org"), Account: id}
	v := &sieve.VacationReply{Reason: "away", Handle: "away", Period: 24 * time.Hour}
	raw := func(extra string) []byte {
		return []byte("From: <s@remote.example>\r\nTo: alice@example.org\r\nSubject: plans\r\n" +
			"Message-ID: <x1@remote.example>\r\n" + extra + "\r\nbody\r\n")
	}
	m := &Message{Envelope: mx(t, "alice@example.org")}
	out := p.vacationReply(f.ctx, m, r, acct, raw(""), v)
	if out == nil {
		t.Fatalf("no reply; logs:\n%s", logs)
	}
	if !out.Envelope.From.IsZero() || len(out.Envelope.Recipients) != 1 ||
		out.Envelope.Recipients[0].Addr.String() != "s@remote.example" || !out.Sign || out.Forward {
		t.Errorf("reply envelope %+v, sign %v, forward %v", out.Envelope, out.Sign, out.Forward)
	}
	for _, want := range []string{"To: <s@remote.example>\r\n", "From: <alice@example.org>\r\n", "Subject: Auto: plans\r\n",
		"In-Reply-To: <x1@remote.example>\r\n", "Auto-Submitted: auto-replied\r\n", "\r\n\r\naway"} {
		if !bytes.Contains(out.Body, []byte(want)) {
			t.Errorf("reply lacks %q:\n%s", want, out.Body)
		}
	}
	if out := p.vacationReply(f.ctx, m, r, acct, raw(""), v); out != nil {
		t.Error("second message within the period: replied again")
	}
	utf := &sieve.VacationReply{Reason: "Content-Type: text/plain; charset=utf-8\r\n\r\nAbwesend bis Montag. Grüße\r\n",
		MIME: true, Handle: "utf", Period: 24 * time.Hour}
	if out := p.vacationReply(f.ctx, m, r, acct, raw(""), utf); out == nil || out.Envelope.Body != "8BITMIME" {
		t.Errorf("an 8-bit :mime reply: %+v, want BODY=8BITMIME", out)
	}
	other := mx(t, "alice@example.org")
	other.From = rcpt(t, "list@remote.example").Addr
	if out := p.vacationReply(f.ctx, &Message{Envelope: other}, r, acct, raw("List-Id: <l.remote.example>\r\n"), v); out != nil {
		t.Error("list message: replied")
	}
	null := mx(t, "alice@example.org")
	null.From = envelope.Envelope{}.From
	if out := p.vacationReply(f.ctx, &Message{Envelope: null}, r, acct, raw(""), v); out != nil {
		t.Error("null sender: replied")
	}
	if !strings.Contains(logs.String(), "rule=\"mailing list message\"") {
		t.Errorf("the rule that held a reply back is not logged:\n%s", logs)
	}
	third := mx(t, "alice@example.org")
	third.From = rcpt(t, "carol@remote.example").Addr
	p.Vacation = failingVacationer{}
	if out := p.vacationReply(f.ctx, &Message{Envelope: third}, r, acct, raw(""), v); out != nil {
		t.Error("failing responder: a reply")
	}
	if !strings.Contains(logs.String(), "store down") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	p.Vacation = nil
	if out := p.vacationReply(f.ctx, &Message{Envelope: third}, r, acct, raw(""), v); out != nil {
		t.Error("no responder: a reply")
	}
}

// A vacation's :from is used only when the account may send as it (the
// submission rule): the reply is DKIM-signed for its domain, so a script
// cannot sign a reply as another account or another domain.
func TestVacationFrom(t *testing.T) {
	f := newFixture(t)
	f.must(f.acct.AddAddress(f.ctx, "alice@example.org", "sales@example.org"))
	p := Sieve{Accounts: f.st, SendAs: f.acct, Log: slog.New(slog.DiscardHandler),
		Vacation: vacation.New(vacation.Config{KV: f.st, Hostname: "mx.example.net"})}
	id := f.id("alice@example.org")
	acct, err := f.st.Account(f.ctx, id)
	f.must(err)
	r := Rcpt{Recipient: rcpt(t, "alice@example.org"), Account: id}
	raw := []byte("From: <s@remote.example>\r\nTo: alice@example.org\r\nSubject: plans\r\n\r\nbody\r\n")
	for i, c := range []struct{ from, want string }{
		{"Alice Sales <sales@example.org>", "From: \"Alice Sales\" <sales@example.org>\r\n"},
		{"bob@example.org", "From: <alice@example.org>\r\n"},
		{"ceo@bank.example", "From: <alice@example.org>\r\n"},
		{"not an address", "From: <alice@example.org>\r\n"},
	} {
		m := &Message{Envelope: mx(t, "alice@example.org")}
		m.Envelope.From = rcpt(t, fmt.Sprintf("s%d@remote.example", i)).Addr
		v := &sieve.VacationReply{Reason: "away", From: c.from, Handle: c.from, Period: 24 * time.Hour}
		out := p.vacationReply(f.ctx, m, r, acct, raw, v)
		if out == nil || !bytes.Contains(out.Body, []byte(c.want)) {
			var body []byte
			if out != nil {
				body = out.Body
			}
			t.Errorf(":from %q: reply\n%s\nwant a field %q", c.from, body, c.want)
		}
	}
}
