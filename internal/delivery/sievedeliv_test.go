package delivery

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/spfcheck"
	"github.com/petrelmail/petrel/internal/store"
)

// sieveFor gives alice the active script src and puts the Sieve policy
// (with the store, the DSN writer, and before/after) in the chain.
func sieveFor(f *fixture, src string, before, after string) (*sievescripts.Scripts, Sieve) {
	f.t.Helper()
	scripts := sievescripts.New(f.st, sieve.Limits{})
	if src != "" {
		f.must(scripts.Put(f.ctx, "alice@example.org", "main", []byte(src)))
		f.must(scripts.Activate(f.ctx, "alice@example.org", "main"))
	}
	p := Sieve{Scripts: scripts, Accounts: f.st, Store: f.st, Refusal: queue.Refusal, Hostname: "mx.example.net"}
	for _, g := range []struct {
		src string
		to  **sieve.Script
	}{{before, &p.Before}, {after, &p.After}} {
		if g.src != "" {
			s, err := sieve.Compile([]byte(g.src), sieve.Limits{})
			f.must(err)
			*g.to = s
		}
	}
	f.svc.cfg.Policies = []Policy{p}
	return scripts, p
}

func sieveMessage(env *envelope.Envelope, raw string) *Message {
	return &Message{Envelope: env, size: int64(len(raw)), open: func() (io.Reader, error) { return strings.NewReader(raw), nil }}
}

func mailSubject(s string) string {
	return "From: <s@remote.example>\r\nSubject: " + s + "\r\nMessage-ID: <" + strings.ReplaceAll(s, " ", ".") + "@remote.example>\r\n\r\nbody\r\n"
}

// subjects lists the Subject fields of the messages of alice's mailbox.
func (f *fixture) subjects(name string) []string {
	f.t.Helper()
	var out []string
	for _, m := range f.mailbox("alice@example.org", name) {
		b := f.body(m)
		_, rest, _ := strings.Cut(b, "Subject: ")
		s, _, _ := strings.Cut(rest, "\r\n")
		out = append(out, s)
	}
	return out
}

const redirectScript = `require "copy";
if header :contains "subject" "copy" { redirect :copy "x@remote.example"; }
elsif header :contains "subject" "move" { redirect "<y@remote.example>"; }
`

// redirect (RFC 5228 §4.2) becomes a forwarded Outgoing: the copy as
// stored (without Return-Path, RFC 5321 §4.4), from the original sender, through the recipient's address;
// without :copy the copy is not kept (RFC 3894).
func TestSieveRedirect(t *testing.T) {
	f := newFixture(t)
	_, p := sieveFor(f, redirectScript, "", "")
	env := mx(t, "alice@example.org")
	raw := "Return-Path: <s@remote.example>\r\nReceived: from trace\r\n" + mailSubject("move")
	a, err := p.Decide(f.ctx, sieveMessage(env, raw), Rcpt{Recipient: env.Recipients[0], Account: f.id("alice@example.org")})
	f.must(err)
	if !a.Discard || len(a.Send) != 1 {
		t.Fatalf("redirect: %+v, want the copy discarded and one message to send", a)
	}
	o := a.Send[0]
	if !o.Forward || o.Via != "alice@example.org" || o.Envelope.From.String() != "s@remote.example" ||
		len(o.Envelope.Recipients) != 1 || o.Envelope.Recipients[0].Addr.String() != "y@remote.example" ||
		o.Envelope.ID == "" || string(o.Body) != strings.TrimPrefix(raw, "Return-Path: <s@remote.example>\r\n") {
		t.Fatalf("forwarded copy %+v", o)
	}
	q := withQueue(f)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("copy please")); rs[0] != nil {
		t.Fatalf("redirect :copy: %v", rs)
	}
	if got := f.subjects("INBOX"); len(got) != 1 || len(q.msgs) != 1 || q.msgs[0].rcpts[0] != "x@remote.example" ||
		!strings.Contains(q.msgs[0].body, "Received: ") || strings.Contains(q.msgs[0].body, "Return-Path:") || !strings.HasSuffix(q.msgs[0].body, "\r\n\r\nbody\r\n") {
		t.Fatalf(":copy: INBOX %v, queued %+v: want the copy kept and forwarded with its trace", got, q.msgs)
	}
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("move it")); rs[0] != nil {
		t.Fatalf("redirect: %v", rs)
	}
	if got := f.subjects("INBOX"); len(got) != 1 || len(q.msgs) != 2 || q.msgs[1].rcpts[0] != "y@remote.example" {
		t.Fatalf("redirect: INBOX %v, queued %d: want it forwarded only", got, len(q.msgs))
	}
}

// More redirects than Limits.MaxRedirects is a runtime error: nothing is
// forwarded and the message is kept (with the failure reported).
func TestSieveRedirectLimit(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	for i := range 5 {
		b.WriteString("redirect \"r" + string(rune('a'+i)) + "@remote.example\";\n")
	}
	sieveFor(f, b.String(), "", "")
	q := withQueue(f)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("many")); rs[0] != nil {
		t.Fatalf("%v", rs)
	}
	got := f.subjects("INBOX")
	if len(q.msgs) != 0 || len(got) != 2 || got[0] != SieveFailureSubject || got[1] != "many" {
		t.Fatalf("queued %d, INBOX %v: want nothing forwarded, the message kept and the report", len(q.msgs), got)
	}
}

// A redirect that would loop is an error of the redirect (RFC 5228
// §4.2), so the copy is kept (§2.10.6) instead of being dropped with
// nothing sent: alice -> bob -> alice stops at alice's second pass (her
// Delivered-To field), which keeps it; a message with MaxHops Received
// fields is kept, not redirected.
func TestSieveRedirectLoopKeeps(t *testing.T) {
	f := newFixture(t)
	scripts, p := sieveFor(f, `redirect "bob@example.org";`, "", "")
	p.Log = slog.New(slog.NewTextHandler(f.logs, nil))
	f.svc.cfg.Policies = []Policy{p}
	f.must(scripts.Put(f.ctx, "bob@example.org", "main", []byte(`redirect "alice@example.org";`)))
	f.must(scripts.Activate(f.ctx, "bob@example.org", "main"))
	q := withQueue(f)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("round")); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if a, b := len(f.inbox("alice@example.org")), len(f.inbox("bob@example.org")); a != 1 || b != 0 || len(q.msgs) != 0 {
		t.Fatalf("loop: alice %d (want 1), bob %d (want 0), queued %d", a, b, len(q.msgs))
	}
	if !strings.Contains(f.logs.String(), `reason="it came through here already (loop)"`) {
		t.Fatalf("loop not logged: %s", f.logs)
	}

	f.must(scripts.Put(f.ctx, "alice@example.org", "main", []byte(`redirect "x@remote.example";`)))
	hops := strings.Repeat("Received: by relay.example\r\n", MaxHops)
	if rs := f.deliverRaw(mx(t, "alice@example.org"), hops+mailSubject("far")); rs[0] != nil {
		t.Fatal(rs[0])
	}
	if got := f.subjects("INBOX"); len(got) != 2 || got[1] != "far" || len(q.msgs) != 0 {
		t.Fatalf("too many hops: INBOX %v, queued %d: want it kept, not sent", got, len(q.msgs))
	}
}

// A vacation action goes through the vacation seam and does not cancel
// the implicit keep (RFC 5230 §4.7).
func TestSieveVacationKeeps(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `require "vacation"; vacation :days 1 "away";`, "", "")
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("hello")); rs[0] != nil {
		t.Fatalf("%v", rs)
	}
	if got := f.subjects("INBOX"); len(got) != 1 {
		t.Fatalf("INBOX %v, want the message", got)
	}
}

// fileinto :create makes a missing mailbox (RFC 5490 §3.2); without it a
// missing mailbox means INBOX. mailboxexists reads the account's
// mailboxes (RFC 5490 §3.1).
func TestSieveFileintoCreateAndMailboxExists(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "list" { fileinto :create "Lists/new"; }
elsif header :contains "subject" "plain" { fileinto "Missing"; }
elsif mailboxexists ["Lists/new", "INBOX"] { addflag "$Exists"; }
`, "", "")
	for _, s := range []string{"plain one", "nothing yet", "list one", "after create"} {
		if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject(s)); rs[0] != nil {
			t.Fatalf("%s: %v", s, rs)
		}
	}
	if got := f.subjects("Lists/new"); len(got) != 1 || got[0] != "list one" {
		t.Fatalf("Lists/new: %v", got)
	}
	if _, err := f.st.Mailbox(f.ctx, f.id("alice@example.org"), "Missing"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("fileinto without :create made the mailbox: %v", err)
	}
	in := f.mailbox("alice@example.org", "INBOX")
	if len(in) != 3 {
		t.Fatalf("INBOX has %d, want 3", len(in))
	}
	for i, want := range []bool{false, false, true} {
		if has := len(in[i].Keywords) == 1 && in[i].Keywords[0] == "$Exists"; has != want {
			t.Errorf("INBOX message %d keywords %v, want $Exists %v (mailboxexists once Lists/new exists)", i, in[i].Keywords, want)
		}
	}
}

// The operator's before and after scripts run around the user's as one
// run: flags set before reach the user's keep, stop in the user's script
// ends the sequence, and the after script's fileinto cancels the keep.
func TestSieveBeforeAfterStop(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `if header :contains "subject" "stop" { stop; }`,
		`require "imap4flags"; addflag "$Before";`,
		`require ["fileinto", "mailbox"]; fileinto :create "After";`)
	for _, s := range []string{"stop here", "go on"} {
		if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject(s)); rs[0] != nil {
			t.Fatalf("%s: %v", s, rs)
		}
	}
	in, after := f.mailbox("alice@example.org", "INBOX"), f.mailbox("alice@example.org", "After")
	if len(in) != 1 || len(after) != 1 || len(in[0].Keywords) != 1 || in[0].Keywords[0] != "$Before" ||
		len(after[0].Keywords) != 1 {
		t.Fatalf("INBOX %+v, After %+v: want the stopped message in INBOX, the other in After, both $Before", in, after)
	}
	// bob has no script: the global ones still run.
	if rs := f.deliverRaw(mx(t, "bob@example.org"), mailSubject("for bob")); rs[0] != nil {
		t.Fatalf("bob: %v", rs)
	}
	if _, err := f.st.Mailbox(f.ctx, f.id("bob@example.org"), "After"); err != nil {
		t.Fatalf("bob's After: %v (the after script runs without a script of his own)", err)
	}
}

// A failing script keeps the message and puts one report in the INBOX per
// version of the script: two failures, one report; a new version that
// fails, a new report. A global script's failure is not reported to the
// user.
func TestSieveFailureReportOncePerScript(t *testing.T) {
	f := newFixture(t)
	scripts, _ := sieveFor(f, `require "include"; include "missing";`, "", "")
	for _, s := range []string{"one", "two"} {
		if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject(s)); rs[0] != nil {
			t.Fatalf("%s: %v", s, rs)
		}
	}
	got := f.subjects("INBOX")
	if len(got) != 3 || got[0] != SieveFailureSubject || got[1] != "one" || got[2] != "two" {
		t.Fatalf("INBOX %v: want one report and both messages", got)
	}
	report := f.body(f.mailbox("alice@example.org", "INBOX")[0])
	for _, want := range []string{"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>", "To: <alice@example.org>",
		`Your Sieve script "main" failed`, "line 1, column 20: cannot include", "The message was kept"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	f.must(scripts.Put(f.ctx, "alice@example.org", "main", []byte(`require "include";  include "other";`)))
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("three")); rs[0] != nil {
		t.Fatalf("three: %v", rs)
	}
	if got := f.subjects("INBOX"); len(got) != 5 || got[3] != SieveFailureSubject {
		t.Fatalf("INBOX %v: want a second report for the new version", got)
	}
	// A stored script that no longer compiles is reported too.
	f.must(f.st.KVStore(f.ctx, "sieve/alice@example.org/script/main", []byte("if {")))
	if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("four")); rs[0] != nil {
		t.Fatalf("four: %v", rs)
	}
	if got := f.subjects("INBOX"); len(got) != 7 || got[5] != SieveFailureSubject || got[6] != "four" {
		t.Fatalf("INBOX %v: want the message kept and a report of the compile error", got)
	}
}

// reject (RFC 5429 §2.1): with one recipient it is the 550 at DATA; with
// several (no LMTP), or an alias of several accounts, that copy is
// dropped, the others delivered, and the sender (SPF passed for MAIL
// FROM) gets a delivery status report from the null sender; no report
// goes to a null sender.
func TestSieveRejectAmongSeveralSendsDSN(t *testing.T) {
	f := newFixture(t)
	withSPF(f, spfcheck.Pass)
	sieveFor(f, `require "reject"; reject "no thanks";`, "", "")
	q := withQueue(f)
	rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("single"))
	if rs[0] == nil || rs[0].Code != 550 || code(rs[0]) != "5.7.1" || !strings.Contains(rs[0].Text, "no thanks") {
		t.Fatalf("single recipient: %v, want 550 5.7.1 with the reason", rs[0])
	}
	rs = f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), mailSubject("two"))
	if rs[0] != nil || rs[1] != nil {
		t.Fatalf("two recipients: %v, want both accepted", rs)
	}
	if len(f.inbox("alice@example.org")) != 0 || len(f.inbox("bob@example.org")) != 1 {
		t.Fatal("want alice's copy dropped and bob's delivered")
	}
	if len(q.msgs) != 1 {
		t.Fatalf("queued %d, want the report", len(q.msgs))
	}
	d := q.msgs[0]
	if !d.env.From.IsZero() || len(d.rcpts) != 1 || d.rcpts[0] != "s@remote.example" {
		t.Fatalf("report envelope %+v to %v: want <> to the sender", d.env, d.rcpts)
	}
	for _, want := range []string{"report-type=delivery-status", "Final-Recipient: rfc822; alice@example.org",
		"Action: failed", "Status: 5.7.1", "no thanks", "Subject: two"} {
		if !strings.Contains(d.body, want) {
			t.Errorf("report lacks %q:\n%s", want, d.body)
		}
	}
	// An alias of alice and bob is one recipient but two copies: bob's
	// must not be refused with alice's.
	if rs := f.deliverRaw(mx(t, "team@example.org"), mailSubject("team")); rs[0] != nil || len(q.msgs) != 2 ||
		len(f.inbox("bob@example.org")) != 2 || len(f.inbox("alice@example.org")) != 0 {
		t.Fatalf("alias: %v, queued %d: want bob's copy delivered and a second report", rs, len(q.msgs))
	}
	env := mx(t, "alice@example.org", "bob@example.org")
	env.From = envelope.Envelope{}.From
	if rs := f.deliverRaw(env, mailSubject("bounce")); rs[0] != nil || rs[1] != nil || len(q.msgs) != 2 {
		t.Fatalf("null sender: %v, queued %d: want no report", rs, len(q.msgs))
	}
}

// duplicate (RFC 7352): the second message with the same Message-ID is
// seen; the mark is kept in the store's KV.
func TestSieveDuplicate(t *testing.T) {
	f := newFixture(t)
	sieveFor(f, `require ["duplicate", "fileinto", "mailbox"]; if duplicate { fileinto :create "Dups"; }`, "", "")
	for range 2 {
		if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject("same")); rs[0] != nil {
			t.Fatalf("%v", rs)
		}
	}
	if in, dups := f.subjects("INBOX"), f.subjects("Dups"); len(in) != 1 || len(dups) != 1 {
		t.Fatalf("INBOX %v, Dups %v: want the second copy in Dups", in, dups)
	}
}

// spamtest and spamtestplus read the content filter's score against its
// threshold (RFC 5235); an unscanned message is "0".
func TestSieveSpamtest(t *testing.T) {
	f := newFixture(t)
	_, p := sieveFor(f, `require ["spamtest", "spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "Unscanned"; }
elsif spamtest :percent :value "ge" :comparator "i;ascii-numeric" "50" { fileinto "Junk"; }
`, "", "")
	env := mx(t, "alice@example.org")
	rc := Rcpt{Recipient: env.Recipients[0], Account: f.id("alice@example.org")}
	for _, c := range []struct {
		spam rspamd.Verdict
		want string
	}{
		{rspamd.Verdict{}, "Unscanned"},
		{rspamd.Verdict{Scanned: true, Result: rspamd.Result{Score: 1, Required: 15}}, ""},
		{rspamd.Verdict{Scanned: true, Result: rspamd.Result{Score: 9, Required: 15}}, "Junk"},
	} {
		m := sieveMessage(env, mailSubject("spam?"))
		m.Spam = c.spam
		a, err := p.Decide(f.ctx, m, rc)
		f.must(err)
		if a.Mailbox != c.want {
			t.Errorf("score %v/%v: mailbox %q, want %q", c.spam.Result.Score, c.spam.Result.Required, a.Mailbox, c.want)
		}
	}
	for _, c := range []struct {
		score, required float64
		level, percent  string
	}{{0, 15, "1", "0"}, {-3, 15, "1", "0"}, {7.5, 15, "5", "50"}, {15, 15, "10", "100"}, {40, 15, "10", "100"}} {
		m := &Message{Spam: rspamd.Verdict{Scanned: true, Result: rspamd.Result{Score: c.score, Required: c.required}}}
		if l, pc := spamTest(m); l != c.level || pc != c.percent {
			t.Errorf("score %v/%v: %s, %s; want %s, %s", c.score, c.required, l, pc, c.level, c.percent)
		}
	}
}

// include :global loads the operator's directory, a plain include the
// account's own scripts (RFC 6609 §3.2).
func TestSieveIncludes(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	f.must(os.WriteFile(filepath.Join(dir, "g.sieve"), []byte(`require ["fileinto", "mailbox"]; fileinto :create "Global";`), 0o644))
	scripts, p := sieveFor(f, `require "include"; if header :contains "subject" "global" { include :global "g"; } else { include "mine"; }`, "", "")
	f.must(scripts.Put(f.ctx, "alice@example.org", "mine", []byte(`require ["fileinto", "mailbox"]; fileinto :create "Mine";`)))
	p.Global = sievescripts.NewDir(dir, sieve.Limits{})
	f.svc.cfg.Policies = []Policy{p}
	for _, s := range []string{"global one", "personal one"} {
		if rs := f.deliverRaw(mx(t, "alice@example.org"), mailSubject(s)); rs[0] != nil {
			t.Fatalf("%s: %v", s, rs)
		}
	}
	if g, m := f.subjects("Global"), f.subjects("Mine"); len(g) != 1 || len(m) != 1 {
		t.Fatalf("Global %v, Mine %v", g, m)
	}
}
