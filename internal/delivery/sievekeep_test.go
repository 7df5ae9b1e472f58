package delivery

import (
	"errors"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/spfcheck"
)

// A redirect without :copy cancels the implicit keep (RFC 3894 §3), but
// a forwarded copy that cannot be sent is stored in the account's INBOX
// instead (RFC 5228 §2.10.6): the queue fails, there is no queue, the
// local target does not exist or is over quota. The sender was told 250:
// nothing may be lost.
func TestSieveRedirectUnsentIsKept(t *testing.T) {
	for _, c := range []struct {
		name, target string
		setup        func(f *fixture)
	}{
		{"queue error", "y@remote.example", func(f *fixture) { withQueue(f).err = errors.New("queue disk broken") }},
		{"no queue", "y@remote.example", func(f *fixture) { f.svc.cfg.Queue = nil }},
		{"local target missing", "nobody@example.org", func(f *fixture) {}},
		{"local target over quota", "bob@example.org", func(f *fixture) {
			f.must(f.st.SetQuota(f.ctx, f.id("bob@example.org"), 10, 0))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			sieveFor(f, `redirect "`+c.target+`";`, "", "")
			c.setup(f)
			if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("moving")); rs[0] != nil {
				t.Fatalf("reply %v, want 250", rs[0])
			}
			in := f.inbox("alice@example.org")
			if len(in) != 1 {
				t.Fatalf("alice's INBOX has %d messages, want the copy that could not go", len(in))
			}
			body := f.body(in[0])
			if !strings.HasPrefix(body, "Return-Path: <s@remote.example>\r\nReceived: ") || !strings.HasSuffix(body, "Subject: moving\r\nMessage-ID: <moving@remote.example>\r\n\r\nbody\r\n") {
				t.Fatalf("kept copy:\n%s", body)
			}
			if len(f.inbox("bob@example.org")) != 0 {
				t.Fatal("bob got it")
			}
			if !strings.Contains(f.logs.String(), "kept in the INBOX instead") {
				t.Fatalf("not logged: %s", f.logs)
			}
		})
	}
}

// The duplicate marks (RFC 7352) are recorded once the copy is stored:
// a transaction that failed (bob over quota: 452 for all, no LMTP) is
// retried by the sender, and the retry must not be seen as a duplicate
// and discarded.
func TestSieveDuplicateRecordedAfterStore(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `require "duplicate"; if duplicate { discard; stop; }`, "", "")
	if rs := f.deliverRaw(mx(t, "bob@example.org"), mailSubject("filler")); rs[0] != nil {
		t.Fatal(rs[0])
	}
	f.must(f.st.SetQuota(f.ctx, f.id("bob@example.org"), 0, 1))
	rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), mailSubject("retried"))
	if rs[0] == nil || rs[0].Code != 452 {
		t.Fatalf("first attempt: %v, want 452 (bob over quota)", rs)
	}
	if len(f.inbox("alice@example.org")) != 0 {
		t.Fatal("a failed transaction stored alice's copy")
	}
	f.must(f.st.SetQuota(f.ctx, f.id("bob@example.org"), 0, 0))
	if rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), mailSubject("retried")); rs[0] != nil || rs[1] != nil {
		t.Fatalf("retry: %v", rs)
	}
	if a, b := len(f.inbox("alice@example.org")), len(f.inbox("bob@example.org")); a != 1 || b != 2 {
		t.Fatalf("retry: alice %d, bob %d; want 1 and 2 (the retry is not a duplicate)", a, b)
	}
	// Once stored, the mark is there: a third copy is a duplicate.
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("retried")); rs[0] != nil || len(f.inbox("alice@example.org")) != 1 {
		t.Fatalf("third copy: %v, alice %d; want it discarded as a duplicate", rs, len(f.inbox("alice@example.org")))
	}
}

// The loop key of a redirect is the account's address: a script that
// redirects to its own subaddresses reaches each once (their pass sees
// alice's Delivered-To and keeps the copy) instead of fanning out over
// every order of them.
func TestSieveRedirectSubaddressFanOut(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `require "copy"; redirect :copy "alice+a@example.org"; redirect :copy "alice+b@example.org"; redirect :copy "alice+c@example.org";`, "", "")
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("fan")); rs[0] != nil {
		t.Fatal(rs[0])
	}
	in := f.inbox("alice@example.org")
	if len(in) != 4 {
		t.Fatalf("alice has %d copies, want 4 (the original and one per subaddress)", len(in))
	}
	for _, m := range in[1:] {
		if b := f.body(m); strings.Count(b, "Delivered-To: ") != 1 || !strings.Contains(b, "Delivered-To: alice@example.org\r\n") {
			t.Fatalf("redirected copy:\n%s", b)
		}
	}
}

// One inbound message causes at most MaxPolicySends forwarded copies,
// nested deliveries included: five accounts whose scripts each redirect
// a copy to the four others would otherwise deliver hundreds of copies
// (every path through them).
func TestSieveRedirectBudget(t *testing.T) {
	f := newFixture(t)
	for _, u := range []string{"carol@example.org", "dave@example.org"} {
		if _, err := f.acct.AddUser(f.ctx, u, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	all := []string{"alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org", "postmaster@example.org"}
	scripts, _ := sieveFor(f, "", "", "")
	for _, a := range all {
		src := `require "copy";`
		for _, b := range all {
			if b != a {
				src += ` redirect :copy "` + b + `";`
			}
		}
		f.must(scripts.Put(f.ctx, a, "main", []byte(src)))
		f.must(scripts.Activate(f.ctx, a, "main"))
	}
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("storm")); rs[0] != nil {
		t.Fatal(rs[0])
	}
	total := 0
	for _, a := range all {
		total += len(f.inbox(a))
	}
	if total != 1+MaxPolicySends {
		t.Fatalf("%d copies stored, want %d (the original and MaxPolicySends forwarded)", total, 1+MaxPolicySends)
	}
	if !strings.Contains(f.logs.String(), "too many for one inbound message") {
		t.Fatal("the budget's end not logged")
	}
}

// withSPF gives the fixture a checker whose verdict has SPF result for
// the MAIL FROM identity (the policies are set after it).
func withSPF(f *fixture, result string) *fakeChecker {
	c := withChecker(f, msgauth.Deliver, nil)
	c.verdict.SPF = spfcheck.Result{Result: result, Identity: spfcheck.MailFrom, Domain: "remote.example"}
	return c
}

// The report of a reject among several recipients goes only to a
// reverse path vouched for (SPF pass for MAIL FROM, or submitted mail),
// not to one judged junk, and not when NOTIFY lacks FAILURE (RFC 3461
// §4.1): otherwise a forged sender gets backscatter.
func TestSieveRejectReportOnlyVouched(t *testing.T) {
	for _, c := range []struct {
		name   string
		spf    string
		setup  func(f *fixture, c *fakeChecker, env *envelope.Envelope)
		report bool
	}{
		{"spf pass", spfcheck.Pass, func(*fixture, *fakeChecker, *envelope.Envelope) {}, true},
		{"spf softfail", spfcheck.SoftFail, func(*fixture, *fakeChecker, *envelope.Envelope) {}, false},
		{"spf none", spfcheck.None, func(*fixture, *fakeChecker, *envelope.Envelope) {}, false},
		{"spf pass of HELO only", spfcheck.None, func(_ *fixture, c *fakeChecker, _ *envelope.Envelope) {
			c.verdict.HELO = spfcheck.Result{Result: spfcheck.Pass, Identity: spfcheck.Helo}
		}, false},
		{"spf pass but DMARC quarantine", spfcheck.Pass, func(_ *fixture, c *fakeChecker, _ *envelope.Envelope) {
			c.verdict.Action = msgauth.Junk
		}, false},
		{"spf pass but spam", spfcheck.Pass, func(f *fixture, _ *fakeChecker, _ *envelope.Envelope) {
			f.svc.cfg.Filter = &fakeFilter{verdict: rspamd.Verdict{Scanned: true, Action: rspamd.Junk}}
		}, false},
		{"spf pass, NOTIFY=DELAY", spfcheck.Pass, func(_ *fixture, _ *fakeChecker, env *envelope.Envelope) {
			env.Recipients[0].Notify = []string{"DELAY"}
		}, false},
		{"spf pass, NOTIFY=SUCCESS,FAILURE", spfcheck.Pass, func(_ *fixture, _ *fakeChecker, env *envelope.Envelope) {
			env.Recipients[0].Notify = []string{"SUCCESS", "FAILURE"}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ch := withSPF(f, c.spf)
			sieveFor(f, `require "reject"; reject "no thanks";`, "", "")
			q := withQueue(f)
			env := mx(t, "alice@example.org", "bob@example.org")
			c.setup(f, ch, env)
			if rs := f.deliverRaw(env, mailSubject("two")); rs[0] != nil || rs[1] != nil {
				t.Fatalf("%v, want both accepted", rs)
			}
			if len(f.inbox("alice@example.org")) != 0 {
				t.Fatal("alice's rejected copy stored")
			}
			if got := len(q.msgs) == 1; got != c.report {
				t.Fatalf("report sent: %v (queued %d), want %v", got, len(q.msgs), c.report)
			}
		})
	}
}

// Submitted mail is vouched for by the account that sent it: its sender
// gets the report without any SPF check.
func TestSieveRejectReportSubmitted(t *testing.T) {
	f := newFixture(t)
	scripts, _ := sieveFor(f, "", "", "")
	f.must(scripts.Put(f.ctx, "bob@example.org", "main", []byte(`require "reject"; reject "no thanks";`)))
	f.must(scripts.Activate(f.ctx, "bob@example.org", "main"))
	q := withQueue(f)
	if rs := f.submit(submitted(t, "bob@example.org", "postmaster@example.org"), fromAlice+"Subject: sub\r\n\r\nhi\r\n"); rs[0] != nil || rs[1] != nil {
		t.Fatalf("%v", rs)
	}
	in := f.inbox("alice@example.org")
	if len(q.msgs) != 0 || len(in) != 1 || !strings.Contains(f.body(in[0]), "Status: 5.7.1") {
		t.Fatalf("queued %d, alice's INBOX %d: want the report delivered to alice", len(q.msgs), len(in))
	}
}
