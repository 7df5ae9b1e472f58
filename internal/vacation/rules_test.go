package vacation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/testkit"
)

const (
	alice = "alice@example.org"
	bob   = "bob@remote.example"
)

// message is a personal message from Bob to Alice with extra fields.
func message(extra string) []byte {
	return []byte("From: Bob <bob@remote.example>\r\nTo: Alice <alice@example.org>\r\n" +
		"Subject: Lunch\r\nMessage-ID: <m1@remote.example>\r\n" + extra + "\r\nHi Alice\r\n")
}

// request is the vacation action of Alice's script on msg from Bob.
func request(msg []byte) Request {
	return Request{Message: msg, ReversePath: bob, Recipient: alice, Account: alice,
		Action: &sieve.VacationReply{Reason: "I am away.", Handle: "I am away.", Period: 24 * time.Hour}}
}

func newResponder(clock *testkit.Clock) *Responder {
	return New(Config{KV: newMemKV(), Hostname: "mx.example.org", Now: clock.Now})
}

// Each rule of RFC 5230 §4.5, §4.6 and RFC 3834 §2 holds back the reply
// to a message that differs from an answered one only in what the rule
// looks at; and the look-alikes the rules must not catch are answered.
func TestRules(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		edit func(*Request)
		skip string
	}{
		{"personal message", func(*Request) {}, ""},
		{"null sender", func(r *Request) { r.ReversePath = "" }, SkipNullSender},
		{"MAILER-DAEMON", func(r *Request) { r.ReversePath = "MAILER-DAEMON@remote.example" }, SkipAutomated},
		{"LISTSERV", func(r *Request) { r.ReversePath = "listserv@remote.example" }, SkipAutomated},
		{"majordomo", func(r *Request) { r.ReversePath = "Majordomo@remote.example" }, SkipAutomated},
		{"owner-", func(r *Request) { r.ReversePath = "owner-golang@remote.example" }, SkipAutomated},
		{"-request", func(r *Request) { r.ReversePath = "golang-Request@remote.example" }, SkipAutomated},
		{"-owner", func(r *Request) { r.ReversePath = "golang-owner@remote.example" }, SkipAutomated},
		{"-bounces", func(r *Request) { r.ReversePath = "golang-bounces@remote.example" }, SkipAutomated},
		{"owner in the middle", func(r *Request) { r.ReversePath = "downer-x@remote.example" }, ""},
		{"auto-generated", func(r *Request) { r.Message = message("Auto-Submitted: auto-generated\r\n") }, SkipAutoSubmit},
		{"auto-replied with a parameter", func(r *Request) {
			r.Message = message("Auto-Submitted: Auto-Replied; owner-email=\"x@y\"\r\n")
		}, SkipAutoSubmit},
		{"auto-submitted no", func(r *Request) { r.Message = message("Auto-Submitted: No (a person)\r\n") }, ""},
		{"List-Id", func(r *Request) { r.Message = message("List-Id: Go <golang.remote.example>\r\n") }, SkipList},
		{"List-Post", func(r *Request) { r.Message = message("list-post: <mailto:go@remote.example>\r\n") }, SkipList},
		{"List-Unsubscribe", func(r *Request) { r.Message = message("List-Unsubscribe: <mailto:u@remote.example>\r\n") }, SkipList},
		{"Precedence bulk", func(r *Request) { r.Message = message("Precedence: bulk\r\n") }, SkipPrecedence},
		{"Precedence list", func(r *Request) { r.Message = message("Precedence: List (mass)\r\n") }, SkipPrecedence},
		{"Precedence junk", func(r *Request) { r.Message = message("Precedence: junk\r\n") }, SkipPrecedence},
		{"Precedence first-class", func(r *Request) { r.Message = message("Precedence: first-class\r\n") }, ""},
		{"sender is the account", func(r *Request) { r.ReversePath = "Alice@Example.org" }, SkipOwnSender},
		{"sender is an :addresses", func(r *Request) {
			r.ReversePath = "a.smith@example.net"
			r.Action.Addresses = []string{"a.smith@example.net"}
		}, SkipOwnSender},
		{"sender is an alias", func(r *Request) {
			r.ReversePath = "info@example.org"
			r.Addresses = []string{"info@example.org"}
		}, SkipOwnSender},
		{"not addressed to the user", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: carol@example.org\r\nSubject: x\r\n\r\nhi\r\n")
		}, SkipNotAddressed},
		{"addressed in Cc", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: carol@example.org\r\nCc: ALICE@example.org\r\n\r\nhi\r\n")
		}, ""},
		{"addressed in Bcc", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: undisclosed-recipients:;\r\nBcc: alice@example.org\r\n\r\nhi\r\n")
		}, ""},
		{"addressed in Resent-To", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: carol@example.org\r\nResent-To: alice@example.org\r\n\r\nhi\r\n")
		}, ""},
		{"addressed in Resent-Cc", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: carol@example.org\r\nResent-Cc: x <alice@example.org>\r\n\r\nhi\r\n")
		}, ""},
		{"addressed in Resent-Bcc", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: carol@example.org\r\nResent-Bcc: alice@example.org\r\n\r\nhi\r\n")
		}, ""},
		{"addressed to :addresses", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: a.smith@example.net\r\n\r\nhi\r\n")
			r.Action.Addresses = []string{"A.Smith@example.net"}
		}, ""},
		{"addressed to the envelope recipient", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: sales@example.org\r\n\r\nhi\r\n")
			r.Recipient = "sales@example.org"
		}, ""},
		{"addressed in a malformed To", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: Alice <alice@example.org>, <<broken\r\n\r\nhi\r\n")
		}, ""},
		{"To names the user only in a display name", func(r *Request) {
			r.Message = []byte("From: bob@remote.example\r\nTo: \"alice@example.org\" <carol@example.org>\r\n\r\nhi\r\n")
		}, SkipNotAddressed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := request(message(""))
			c.edit(&req)
			rep, err := newResponder(testkit.NewClock(time.Now())).Reply(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Skip != c.skip {
				t.Fatalf("skip %q, want %q", rep.Skip, c.skip)
			}
			if (rep.Body == nil) != (c.skip != "") {
				t.Fatalf("skip %q with a body of %d octets", rep.Skip, len(rep.Body))
			}
		})
	}
}

// The period (RFC 5230 §4.1, §4.2; RFC 6131): one reply per sender and
// handle within :days, again once it is over, every time for :seconds 0,
// and a reply per handle and per sender.
func TestPeriod(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	r := newResponder(clock)
	sent := func(req Request) bool {
		t.Helper()
		rep, err := r.Reply(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Skip != "" && rep.Skip != SkipPeriod {
			t.Fatalf("skipped by %q", rep.Skip)
		}
		return rep.Skip == ""
	}
	req := request(message(""))
	if !sent(req) {
		t.Fatal("first message: no reply")
	}
	clock.Add(23 * time.Hour)
	if sent(req) {
		t.Fatal("second message within :days 1: replied again")
	}
	other := request(message(""))
	other.ReversePath = "carol@remote.example"
	if !sent(other) {
		t.Fatal("another sender: no reply")
	}
	handle := request(message(""))
	handle.Action.Handle = "other handle"
	if !sent(handle) {
		t.Fatal("another handle: no reply")
	}
	clock.Add(time.Hour + time.Second)
	if !sent(req) {
		t.Fatal("after the period: no reply")
	}
	if sent(req) {
		t.Fatal("after the period, twice: replied twice")
	}
	always := request(message(""))
	always.Action = &sieve.VacationReply{Reason: "x", Handle: "x", Period: 0}
	for i := range 3 {
		if !sent(always) {
			t.Fatalf(":seconds 0, message %d: no reply", i+1)
		}
	}
}

// The site's minimum period (MinPeriod) raises a script's shorter one,
// :seconds 0 included: a sender gets one reply per minimum period.
func TestMinPeriod(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	r := New(Config{KV: newMemKV(), Hostname: "mx.example.org", Now: clock.Now, MinPeriod: 24 * time.Hour})
	replies := 0
	for _, step := range []time.Duration{0, time.Minute, 23 * time.Hour, time.Hour} {
		clock.Add(step)
		req := request(message(""))
		req.Action = &sieve.VacationReply{Reason: "x", Handle: "x", Period: 0}
		rep, err := r.Reply(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Skip == "" {
			replies++
		}
	}
	// At 0 and at 24h01m: two replies, not four.
	if replies != 2 {
		t.Fatalf(":seconds 0 under a 1-day minimum: %d replies in 24h01m, want 2", replies)
	}
}

// The sieve package's default handle covers the reason, :subject and
// :from (RFC 5230 §4.2): a script whose reason changed answers again.
func TestDefaultHandle(t *testing.T) {
	ctx := context.Background()
	r := newResponder(testkit.NewClock(time.Now()))
	run := func(src string) *sieve.VacationReply {
		t.Helper()
		s, err := sieve.Compile([]byte(src), sieve.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		res := s.Run(ctx, sieve.ParseMessage(message("")), sieve.Environment{Now: time.Now()})
		for _, a := range res.Actions {
			if a.Vacation != nil {
				return a.Vacation
			}
		}
		t.Fatalf("no vacation action: %+v", res)
		return nil
	}
	n := 0
	for _, src := range []string{`require "vacation"; vacation "away";`, `require "vacation"; vacation "away";`,
		`require "vacation"; vacation "back on Monday";`, `require "vacation"; vacation :subject "Out" "away";`} {
		req := request(message(""))
		req.Action = run(src)
		rep, err := r.Reply(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Skip == "" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d replies, want 3 (the same action twice answers once)", n)
	}
}

// Two nodes share the tracking through the store's KV: the second node
// does not answer a sender the first one did, and after the period the
// expired entry is replaced, not kept beside a new one.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	clock := testkit.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	a := New(Config{KV: st, Hostname: "a.example.org", Now: clock.Now})
	b := New(Config{KV: st, Hostname: "b.example.org", Now: clock.Now})
	req := request(message(""))
	if rep, err := a.Reply(ctx, req); err != nil || rep.Skip != "" {
		t.Fatalf("node a: %+v, %v", rep, err)
	}
	if rep, err := b.Reply(ctx, req); err != nil || rep.Skip != SkipPeriod {
		t.Fatalf("node b within the period: %+v, %v; want %q", rep, err, SkipPeriod)
	}
	keys, err := st.KVList(ctx, "vacation/")
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0].Key, "vacation/alice@example.org/") {
		t.Fatalf("tracking keys: %+v, %v", keys, err)
	}
	clock.Add(25 * time.Hour)
	if rep, err := b.Reply(ctx, req); err != nil || rep.Skip != "" {
		t.Fatalf("node b after the period: %+v, %v", rep, err)
	}
	if rep, err := a.Reply(ctx, req); err != nil || rep.Skip != SkipPeriod {
		t.Fatalf("node a after b's new reply: %+v, %v", rep, err)
	}
	if keys, _ := st.KVList(ctx, "vacation/"); len(keys) != 1 {
		t.Fatalf("tracking keys after renewal: %+v", keys)
	}
}

// A store that fails makes no reply and says so; nothing is recorded
// for a message that gets no reply.
func TestStoreErrorAndNoRecord(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	r := New(Config{KV: kv, Now: time.Now})
	kv.fail = true
	if rep, err := r.Reply(ctx, request(message(""))); err == nil || rep.Body != nil {
		t.Fatalf("failing store: %+v, %v; want an error and no reply", rep, err)
	}
	kv.fail = false
	if rep, _ := r.Reply(ctx, request(message("List-Id: <l.remote.example>\r\n"))); rep.Skip != SkipList {
		t.Fatalf("list message: %+v", rep)
	}
	if len(kv.m) != 0 {
		t.Fatalf("recorded without a reply: %v", kv.m)
	}
}
