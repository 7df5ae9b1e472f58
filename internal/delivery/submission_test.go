package delivery

import (
	"regexp"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
)

func TestCheckSender(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ from, want string }{
		{"alice@example.org", "250"},
		{"alice+tag@example.org", "250"},
		{"team@example.org", "250"}, // alias reaching alice
		{"bob@example.org", "5.7.1"},
		{"alice@remote.example", "5.7.1"},
		{"", "250"}, // null reverse-path
	} {
		env := submitted(t)
		env.From = rcpt(t, "x@y.example").Addr
		if c.from == "" {
			env.From.Local, env.From.Domain = "", ""
		} else {
			env.From = rcpt(t, c.from).Addr
		}
		r := f.svc.CheckSender(f.ctx, env)
		if got := code(r); got != c.want {
			t.Errorf("%q: %v", c.from, r)
		}
		if r != nil && r.Code != 553 {
			t.Errorf("%q: code %d", c.from, r.Code)
		}
	}
	// Without authentication (the MX), any sender.
	if r := f.svc.CheckSender(f.ctx, &envelope.Envelope{From: rcpt(t, "bob@example.org").Addr}); r != nil {
		t.Fatalf("MX sender: %v", r)
	}
}

func TestSubmissionFromHeader(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ header, want string }{
		{"From: Alice <alice@example.org>\r\n", "250"},
		{"From: alice@example.org, \"Team\" <team@example.org>\r\n", "250"},
		{"From: =?utf-8?q?Al=C3=AFce?= <ALICE@example.org>\r\n", "250"},
		{"From: Bob <bob@example.org>\r\n", "5.7.1"},
		{"From: alice@example.org, bob@example.org\r\n", "5.7.1"},
		{"Subject: no from\r\n", "5.6.0"},
		{"From: not an address\r\n", "5.6.0"},
		// The From rule (package header): every From field counts, so a
		// second one cannot carry someone else's address past the check
		// (before it, only the first field was read).
		{"From: alice@example.org\r\nFrom: bob@example.org\r\n", "5.7.1"},
		{"From: alice@example.org\r\nFrom: (\r\n", "5.6.0"},
		{"From: Alice\r\n <alice@example.org>\r\n", "250"},
		{"From: Team: alice@example.org;\r\n", "250"}, // RFC 6854 group
	} {
		rs := f.submit(submitted(t, "bob@example.org"), c.header+"Subject: x\r\n\r\nbody\r\n")
		if got := code(rs[0]); got != c.want {
			t.Errorf("%q: %v", c.header, rs[0])
		}
	}
}

func TestSubmissionAddsDateAndMessageID(t *testing.T) {
	f := newFixture(t)
	rs := f.submit(submitted(t, "bob@example.org"), "From: alice@example.org\r\nSubject: bare\r\n\r\nbody\r\n")
	if rs[0] != nil {
		t.Fatal(rs[0])
	}
	rs = f.submit(submitted(t, "bob@example.org"), fromAlice+"Subject: complete\r\n\r\nbody\r\n")
	if rs[0] != nil {
		t.Fatal(rs[0])
	}
	ms := f.inbox("bob@example.org")
	bare, complete := f.body(ms[0]), f.body(ms[1])
	if !regexp.MustCompile(`\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n`).MatchString(bare) {
		t.Errorf("no Date added: %q", bare)
	}
	if !regexp.MustCompile(`\r\nMessage-ID: <testid000002\.[A-Z2-7]{26}@mx\.example\.net>\r\n`).MatchString(bare) {
		t.Errorf("no Message-ID added: %q", bare)
	}
	if strings.Count(complete, "Date:") != 1 || strings.Count(complete, "Message-ID:") != 1 {
		t.Errorf("fields added to a complete message: %q", complete)
	}
	// The MX adds nothing.
	f.deliver(&envelope.Envelope{Recipients: []envelope.Recipient{rcpt(t, "bob@example.org")}}, "x")
	if mx := f.body(f.inbox("bob@example.org")[2]); strings.Contains(mx, "Message-ID") {
		t.Errorf("the MX added a Message-ID: %q", mx)
	}
}
