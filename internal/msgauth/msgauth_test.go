package msgauth

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

var update = flag.Bool("update", false, "write the golden files of testdata")

// servID is the authserv-id of the tests; clientIP the client's address.
const servID = "mx.petrel.test"

var clientIP = netip.MustParseAddr("192.0.2.10")

// dnsr's resolver is what production passes.
var _ Resolver = dnsr.New(nil, 0)

// zone holds the records of the scenarios (testScenarios).
var zone = []string{
	// HELO: pass for the client.
	`mail.sender.example. TXT "v=spf1 ip4:192.0.2.10 -all"`,
	// SPF of MAIL FROM, From domains without DMARC.
	`spf-pass.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
	`spf-fail.example. TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
	`spf-soft.example. TXT "v=spf1 ~all"`,
	`spf-neutral.example. TXT "v=spf1 ?all"`,
	`spf-none.example. A 192.0.2.1`,
	`spf-perm.example. TXT "v=spf1 ip4:192.0.2.300 -all"`,
	// DMARC
	`aligned.example. TXT "v=spf1 -all"`,
	`_dmarc.aligned.example. TXT "v=DMARC1; p=reject"`,
	`spfalign.example. TXT "v=spf1 ip4:192.0.2.10 -all"`,
	`_dmarc.spfalign.example. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"`,
	`_dmarc.bank.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@bank.example"`,
	`_dmarc.q.example. TXT "v=DMARC1; p=quarantine"`,
	`_dmarc.monitor.example. TXT "v=DMARC1; p=none"`,
	`_dmarc.org.example. TXT "v=DMARC1; p=none; sp=reject"`,
	`_dmarc.half.example. TXT "v=DMARC1; p=reject; pct=50"`,
	`tspf.example. TXT "v=spf1 ip4:192.0.2.10 -all"`,
	`_dmarc.tspf.example. TXT "v=DMARC1; p=reject"`,
	`_dmarc.tdkim.example. TXT "v=DMARC1; p=quarantine"`,
	`_dmarc.silent.example. TXT "v=DMARC1; p=reject"`,
}

// world is the DNS and the signing keys of the scenarios.
type world struct {
	dns  *dnstest.Server
	res  dnsr.Resolver
	keys *sqlite.Store // the signer's keys
}

// newWorld publishes zone and makes the keys: RSA and Ed25519 for
// aligned.example (two signatures), Ed25519 for the others. The key of
// nokey.example is not published; that of tdkim.example answers
// SERVFAIL; tspf.example's SPF record SERVFAIL, _dmarc.flaky.example
// SERVFAIL, _dmarc.silent.example no answer at all.
func newWorld(t testing.TB) *world {
	t.Helper()
	keys, err := sqlite.Open(context.Background(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	w := &world{dns: dnstest.Start(t), keys: keys}
	w.dns.Add(t, zone...)
	w.res = dnsr.New([]string{w.dns.Addr}, 300*time.Millisecond)
	now := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	gen := func(domain, alg string) *dkim.Key {
		k, err := dkim.Generate(context.Background(), w.keys, domain, "sel-"+alg, alg, now)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, k := range []*dkim.Key{gen("aligned.example", dkim.RSA), gen("aligned.example", dkim.Ed25519),
		gen("dkim-pass.example", dkim.Ed25519), gen("dkim-fail.example", dkim.Ed25519)} {
		w.dns.Add(t, k.ZoneRecord())
	}
	gen("nokey.example", dkim.Ed25519)
	w.dns.ServFail(gen("tdkim.example", dkim.Ed25519).RecordName())
	w.dns.ServFail("tspf.example")
	w.dns.ServFail("_dmarc.flaky.example")
	w.dns.Silent("_dmarc.silent.example")
	return w
}

// scenario is one message and how it arrives.
type scenario struct {
	name     string
	mailFrom string // "" = <>
	helo     string // "" = mail.sender.example
	from     string // the From field's value
	sign     bool   // sign with the keys of the From domains
	tamper   bool   // change the body after signing
	extra    string // header fields above the message's own
	reject   string // Config.DMARCReject
	sample   int    // what the pct= sample source returns
	maxSigs  int    // Config.MaxDKIMSignatures
}

func testScenarios() []scenario {
	return []scenario{
		{name: "spf-pass", mailFrom: "news@spf-pass.example", from: "<news@spf-pass.example>"},
		{name: "spf-fail", mailFrom: "news@spf-fail.example", from: "<news@spf-fail.example>"},
		{name: "spf-softfail", mailFrom: "news@spf-soft.example", from: "<news@spf-soft.example>"},
		{name: "spf-neutral", mailFrom: "news@spf-neutral.example", from: "<news@spf-neutral.example>"},
		{name: "spf-none", mailFrom: "news@spf-none.example", from: "<news@spf-none.example>", helo: "[192.0.2.10]"},
		{name: "spf-temperror", mailFrom: "news@tspf.example", from: "<news@spf-none.example>"},
		{name: "spf-permerror", mailFrom: "news@spf-perm.example", from: "<news@spf-perm.example>"},
		{name: "null-sender", mailFrom: "", from: "Mail Delivery System <mailer-daemon@spf-none.example>"},
		{name: "dkim-pass", mailFrom: "b@spf-none.example", from: "Dee <dee@dkim-pass.example>", sign: true},
		{name: "dkim-fail", mailFrom: "b@spf-none.example", from: "<dee@dkim-fail.example>", sign: true, tamper: true},
		{name: "dkim-permerror", mailFrom: "b@spf-none.example", from: "<dee@nokey.example>", sign: true},
		{name: "dmarc-pass-spf", mailFrom: "alice@spfalign.example", from: "Alice <alice@spfalign.example>"},
		{name: "dmarc-pass-dkim", mailFrom: "bounces@spf-fail.example", from: "<alice@aligned.example>", sign: true},
		{name: "dkim-over-limit", mailFrom: "bounces@spf-fail.example", from: "<alice@aligned.example>",
			sign: true, maxSigs: 1},
		{name: "dmarc-reject", mailFrom: "ceo@spf-pass.example", from: "CEO <ceo@bank.example>"},
		{name: "dmarc-reject-quarantined", mailFrom: "ceo@spf-pass.example", from: "<ceo@bank.example>",
			reject: RejectQuarantine},
		{name: "dmarc-quarantine", mailFrom: "x@spf-pass.example", from: "<x@q.example>"},
		{name: "dmarc-none", mailFrom: "x@spf-pass.example", from: "<x@monitor.example>"},
		{name: "dmarc-subdomain", mailFrom: "x@spf-pass.example", from: "<x@mail.org.example>"},
		{name: "dmarc-pct-sampled-out", mailFrom: "x@spf-pass.example", from: "<x@half.example>", sample: 99},
		{name: "dmarc-several-from", mailFrom: "alice@spfalign.example",
			from: "<alice@spfalign.example>, \"Bank\" <ceo@bank.example>"},
		{name: "dmarc-temperror-lookup", mailFrom: "x@spf-pass.example", from: "<x@flaky.example>"},
		{name: "dmarc-temperror-spf", mailFrom: "x@tspf.example", from: "<x@tspf.example>"},
		{name: "dmarc-temperror-dkim", mailFrom: "x@spf-pass.example", from: "<x@tdkim.example>", sign: true},
		{name: "dmarc-timeout", mailFrom: "x@spf-pass.example", from: "<x@silent.example>"},
		{name: "own-results-removed", mailFrom: "news@spf-pass.example", from: "<news@spf-pass.example>",
			extra: "Authentication-Results: MX.Petrel.Test; dkim=pass header.d=bank.example\r\n" +
				"Authentication-Results: other.example;\r\n\tspf=pass smtp.mailfrom=news@spf-pass.example\r\n" +
				"Authentication-Results: (forged) mx.petrel.test.;\r\n\tdmarc=pass header.from=bank.example\r\n"},
	}
}

// message is a test message from `from`, signed when sc.sign.
func (w *world) message(t testing.TB, sc scenario) string {
	t.Helper()
	msg := "From: " + sc.from + "\r\nTo: bob@petrel.test\r\nSubject: " + sc.name + "\r\n" +
		"Date: Sat, 14 Mar 2026 15:09:26 +0000\r\nMessage-ID: <" + sc.name + "@sender.example>\r\n" +
		"\r\nHello Bob,\r\nthis is " + sc.name + ".\r\n"
	if sc.sign {
		sig, err := dkim.NewSigner(w.keys, discard()).Sign(context.Background(), strings.NewReader(msg))
		if err != nil || sig == "" {
			t.Fatalf("signing %s: %q %v", sc.name, sig, err)
		}
		msg = sig + msg
	}
	if sc.tamper {
		msg = strings.Replace(msg, "Hello Bob", "Hello Eve", 1)
	}
	return sc.extra + msg
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (w *world) checker(sc scenario) *Checker {
	return New(Config{AuthServID: servID, Resolver: w.res, DMARCReject: sc.reject, MaxDKIMSignatures: sc.maxSigs,
		Sample: func() int { return sc.sample }}, discard())
}

// sigPrefix matches header.b values, which change with every signature.
var sigPrefix = regexp.MustCompile(`header\.b=[A-Za-z0-9+/]+|header\.b="[^"]*"`)

// golden is the text a verdict is compared with: the action, the reply,
// the number of removed fields, and the field (header.b masked, LF line
// ends).
func golden(v Verdict) string {
	reply := "-"
	if v.Reply != nil {
		reply = strings.Join(v.Reply.Lines(), "\n")
	}
	field := sigPrefix.ReplaceAllString(v.Header, "header.b=<sig>")
	return fmt.Sprintf("action: %s\nreply: %s\nremoved: %d\n%s", v.Action, reply, len(v.Remove),
		strings.ReplaceAll(field, "\r\n", "\n"))
}

func TestGolden(t *testing.T) {
	w := newWorld(t)
	for _, sc := range testScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			msg := w.message(t, sc)
			helo := sc.helo
			if helo == "" {
				helo = "mail.sender.example"
			}
			v, err := w.checker(sc).Check(context.Background(),
				Input{ID: sc.name, ClientIP: clientIP, Helo: helo, MailFrom: sc.mailFrom}, strings.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			checkField(t, v, msg)
			compareGolden(t, filepath.Join("testdata", sc.name+".golden"), golden(v))
		})
	}
}

// checkField checks what the golden files cannot: the header.b values
// are those of the message's signatures, the field is well-formed, and
// go-msgauth's independent parser reads the same results from it.
func checkField(t *testing.T, v Verdict, msg string) {
	t.Helper()
	for _, r := range v.DKIM {
		if len(r.SigPrefix) != 12 || !strings.Contains(strings.ReplaceAll(msg, "\r\n ", ""), "b="+r.SigPrefix) ||
			!strings.Contains(v.Header, "header.b="+pvalue(r.SigPrefix)) {
			t.Errorf("header.b %q is not the start of a signature of the message", r.SigPrefix)
		}
	}
	checkFolding(t, v.Header)
	value, ok := strings.CutPrefix(v.Header, fieldName+":")
	if !ok {
		t.Fatalf("field %q", v.Header)
	}
	id, results, err := authres.Parse(header.Unfold([]byte(value)))
	if err != nil || id != servID {
		t.Fatalf("authres.Parse: id %q, %v", id, err)
	}
	want := 3 + max(len(v.DKIM), 1)
	if len(results) != want {
		t.Fatalf("authres.Parse found %d results, want %d", len(results), want)
	}
	spfMail, _ := results[0].(*authres.SPFResult)
	spfHelo, _ := results[1].(*authres.SPFResult)
	dm, _ := results[len(results)-1].(*authres.DMARCResult)
	if spfMail == nil || string(spfMail.Value) != v.SPF.Result || spfMail.From != v.SPF.Sender && v.SPF.Sender != "" {
		t.Errorf("spf (mailfrom) read as %+v, want %s %s", results[0], v.SPF.Result, v.SPF.Sender)
	}
	if spfHelo == nil || string(spfHelo.Value) != v.HELO.Result || spfHelo.Helo != v.HELO.Domain && v.HELO.Domain != "" {
		t.Errorf("spf (helo) read as %+v, want %s %s", results[1], v.HELO.Result, v.HELO.Domain)
	}
	if dm == nil || string(dm.Value) != v.DMARC.Result || dm.From != v.DMARC.From {
		t.Errorf("dmarc read as %+v, want %s %s", results[len(results)-1], v.DMARC.Result, v.DMARC.From)
	}
	for i, r := range v.DKIM {
		if d, _ := results[2+i].(*authres.DKIMResult); d == nil || string(d.Value) != r.Status || d.Domain != r.Domain {
			t.Errorf("dkim %d read as %+v, want %s %s", i, results[2+i], r.Status, r.Domain)
		}
	}
}

// checkFolding checks the field's lines: CRLF-terminated, continuation
// lines starting with a tab, none over 78 octets.
func checkFolding(t *testing.T, field string) {
	t.Helper()
	if !strings.HasSuffix(field, "\r\n") || strings.Count(field, "\n") != strings.Count(field, "\r\n") {
		t.Fatalf("line ends of %q", field)
	}
	for i, line := range strings.Split(strings.TrimSuffix(field, "\r\n"), "\r\n") {
		if len(line) > maxLine {
			t.Errorf("line %d has %d octets: %q", i, len(line), line)
		}
		if i > 0 && !strings.HasPrefix(line, "\t") {
			t.Errorf("continuation line %d does not start with a tab: %q", i, line)
		}
	}
}

// compareGolden compares got with the golden file, or writes it with
// -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestReadError: a message that cannot be read is an error, not a
// verdict.
func TestReadError(t *testing.T) {
	w := newWorld(t)
	c := New(Config{AuthServID: servID, Resolver: w.res}, discard())
	r := io.MultiReader(strings.NewReader("From: <a@spf-pass.example>\r\n"), errReader{})
	if _, err := c.Check(context.Background(), Input{ClientIP: clientIP, Helo: "x.example"}, r); err == nil {
		t.Fatal("Check of an unreadable message returned no error")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }
