package delivery

import (
	"testing"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

const testSieveScript = `require ["fileinto", "imap4flags", "reject"];
if header :contains "subject" "report" {
	fileinto :flags "\\Seen $Report" "Reports";
} elsif header :contains "subject" "noise" {
	discard;
} elsif header :contains "subject" "unwanted" {
	reject "not here";
}
`

// The Sieve policy runs the account's active script on its copy:
// fileinto with imap4flags files it flagged, discard stores nothing,
// reject refuses it at DATA with the script's reason, and other mail
// (and an account without a script) is kept in INBOX.
func TestSievePolicy(t *testing.T) {
	f := newFixture(t)
	scripts := sievescripts.New(f.st, sieve.Limits{})
	f.must(scripts.Put(f.ctx, "alice@example.org", "main", []byte(testSieveScript)))
	f.must(scripts.Activate(f.ctx, "alice@example.org", "main"))
	alice, err := f.st.LookupAddress(f.ctx, "alice@example.org")
	f.must(err)
	if _, err := f.st.CreateMailbox(f.ctx, alice, "Reports", store.UseNone); err != nil {
		t.Fatal(err)
	}
	f.svc.cfg.Policies = []Policy{Sieve{Scripts: scripts, Accounts: f.st}}
	msg := func(subject string) string {
		return "From: <s@remote.example>\r\nSubject: " + subject + "\r\n\r\nbody\r\n"
	}
	if rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), msg("weekly report")); rs[0] != nil || rs[1] != nil {
		t.Fatalf("report: %v", rs)
	}
	reports := f.mailbox("alice@example.org", "Reports")
	if len(reports) != 1 || reports[0].Flags&store.FlagSeen == 0 || len(reports[0].Keywords) != 1 || reports[0].Keywords[0] != "$Report" {
		t.Fatalf("Reports: %+v, want the report, \\Seen and $Report", reports)
	}
	if n := len(f.inbox("bob@example.org")); n != 1 {
		t.Errorf("bob (no script) has %d in INBOX, want 1", n)
	}
	if rs := f.deliverRaw(mx(t, "alice@example.org"), msg("noise")); rs[0] != nil {
		t.Fatalf("noise: %v", rs)
	}
	rs := f.deliverRaw(mx(t, "alice@example.org"), msg("unwanted offer"))
	if rs[0] == nil || rs[0].Code != 550 || rs[0].Enhanced != (smtpreply.Enhanced{5, 7, 1}) {
		t.Fatalf("reject: %v, want 550 5.7.1", rs[0])
	}
	if rs := f.deliverRaw(mx(t, "alice@example.org"), msg("hello")); rs[0] != nil {
		t.Fatalf("hello: %v", rs)
	}
	if in := f.inbox("alice@example.org"); len(in) != 1 {
		t.Errorf("alice's INBOX has %d, want only the hello (noise discarded, unwanted refused)", len(in))
	}
}
