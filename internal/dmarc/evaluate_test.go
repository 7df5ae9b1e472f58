package dmarc_test

import (
	"context"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dmarc"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

var _ dmarc.Resolver = dnsr.New(nil, 0)

// policies holds the records of the evaluation cases.
var policies = []string{
	`_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"`,
	`_dmarc.own.example.com. TXT "v=DMARC1; p=none"`,
	`_dmarc.strict.example. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"`,
	`_dmarc.quar.example. TXT "v=DMARC1; p=quarantine"`,
	`_dmarc.nonepol.example. TXT "v=DMARC1; p=none"`,
	`_dmarc.pct.example. TXT "v=DMARC1; p=reject; pct=50"`,
	`_dmarc.pctq.example. TXT "v=DMARC1; p=quarantine; pct=50"`,
	`_dmarc.pct0.example. TXT "v=DMARC1; p=reject; pct=0"`,
	`_dmarc.nosp.example. TXT "v=DMARC1; p=reject"`,
	`_dmarc.broken.example. TXT "v=DMARC1; p=bogus"`,
	`_dmarc.rua.example. TXT "v=DMARC1; p=bogus; rua=mailto:d@rua.example"`,
	`_dmarc.two.example. TXT "v=DMARC1; p=reject"`,
	`_dmarc.two.example. TXT "v=DMARC1; p=none"`,
	`_dmarc.example.co.uk. TXT "v=DMARC1; p=quarantine"`,
	`_dmarc.xn--bcher-kva.example. TXT "v=DMARC1; p=reject"`,
	`_dmarc.spf-only.example. TXT "v=spf1 -all"`,
}

// spf and dkim build inputs.
func spf(domain, result string) dmarc.Identifier {
	return dmarc.Identifier{Domain: domain, Result: result}
}

func dkim(pairs ...string) []dmarc.Identifier {
	var out []dmarc.Identifier
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, dmarc.Identifier{Domain: pairs[i], Result: pairs[i+1]})
	}
	return out
}

func TestEvaluate(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, policies...)
	srv.ServFail("_dmarc.tmp.example")
	srv.ServFail("_dmarc.tmporg.example")
	r := dnsr.New([]string{srv.Addr}, 300*time.Millisecond)
	otherPass := spf("other.net", "pass")
	for _, c := range []struct {
		name   string
		in     dmarc.Input
		sample int // what Sample returns
		want   dmarc.Result
	}{
		{"SPF alignment only", dmarc.Input{From: []string{"example.com"}, SPF: spf("bounce.example.com", "pass"), DKIM: dkim("other.net", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "example.com", Policy: "none", Requested: "reject", PolicyDomain: "example.com", SPFAligned: true, Reason: "aligned SPF pass"}},
		{"DKIM alignment only", dmarc.Input{From: []string{"example.com"}, SPF: otherPass, DKIM: dkim("other.net", "pass", "example.com", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "example.com", Policy: "none", Requested: "reject", PolicyDomain: "example.com", DKIMAligned: true, Reason: "aligned DKIM pass"}},
		{"both aligned", dmarc.Input{From: []string{"example.com"}, SPF: spf("example.com", "pass"), DKIM: dkim("mail.example.com", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "example.com", Policy: "none", Requested: "reject", PolicyDomain: "example.com", SPFAligned: true, DKIMAligned: true, Reason: "aligned SPF and DKIM pass"}},
		{"neither, reject", dmarc.Input{From: []string{"example.com"}, SPF: otherPass, DKIM: dkim("other.net", "pass", "example.com", "fail")}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"aligned SPF not pass", dmarc.Input{From: []string{"example.com"}, SPF: spf("example.com", "softfail")}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"neither, quarantine", dmarc.Input{From: []string{"quar.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "quar.example", Policy: "quarantine", Requested: "quarantine", PolicyDomain: "quar.example", Reason: "no aligned SPF or DKIM pass"}},
		{"neither, none", dmarc.Input{From: []string{"nonepol.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "nonepol.example", Policy: "none", Requested: "none", PolicyDomain: "nonepol.example", Reason: "no aligned SPF or DKIM pass"}},
		{"strict SPF, subdomain", dmarc.Input{From: []string{"strict.example"}, SPF: spf("mail.strict.example", "pass")}, 0,
			dmarc.Result{Result: "fail", From: "strict.example", Policy: "reject", Requested: "reject", PolicyDomain: "strict.example", Reason: "no aligned SPF or DKIM pass"}},
		{"strict SPF, same", dmarc.Input{From: []string{"strict.example"}, SPF: spf("STRICT.example.", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "strict.example", Policy: "none", Requested: "reject", PolicyDomain: "strict.example", SPFAligned: true, Reason: "aligned SPF pass"}},
		{"strict DKIM, subdomain", dmarc.Input{From: []string{"strict.example"}, DKIM: dkim("mail.strict.example", "pass")}, 0,
			dmarc.Result{Result: "fail", From: "strict.example", Policy: "reject", Requested: "reject", PolicyDomain: "strict.example", Reason: "no aligned SPF or DKIM pass"}},
		{"strict DKIM, same", dmarc.Input{From: []string{"strict.example"}, DKIM: dkim("strict.example", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "strict.example", Policy: "none", Requested: "reject", PolicyDomain: "strict.example", DKIMAligned: true, Reason: "aligned DKIM pass"}},
		{"relaxed: From subdomain, DKIM parent", dmarc.Input{From: []string{"news.example.com"}, DKIM: dkim("example.com", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "news.example.com", Policy: "none", Requested: "quarantine", PolicyDomain: "example.com", DKIMAligned: true, Reason: "aligned DKIM pass"}},
		{"relaxed: sibling subdomains", dmarc.Input{From: []string{"news.example.com"}, SPF: spf("bounces.example.com", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "news.example.com", Policy: "none", Requested: "quarantine", PolicyDomain: "example.com", SPFAligned: true, Reason: "aligned SPF pass"}},
		{"relaxed: not a suffix match", dmarc.Input{From: []string{"example.com"}, DKIM: dkim("notexample.com", "pass")}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"sp for a subdomain", dmarc.Input{From: []string{"news.example.com"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "news.example.com", Policy: "quarantine", Requested: "quarantine", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"p for a subdomain without sp", dmarc.Input{From: []string{"a.b.nosp.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "a.b.nosp.example", Policy: "reject", Requested: "reject", PolicyDomain: "nosp.example", Reason: "no aligned SPF or DKIM pass"}},
		{"subdomain's own record", dmarc.Input{From: []string{"own.example.com"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "own.example.com", Policy: "none", Requested: "none", PolicyDomain: "own.example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"policy at the org domain only", dmarc.Input{From: []string{"mail.example.co.uk"}, SPF: spf("example.co.uk", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "mail.example.co.uk", Policy: "none", Requested: "quarantine", PolicyDomain: "example.co.uk", SPFAligned: true, Reason: "aligned SPF pass"}},
		{"public suffix is no alignment", dmarc.Input{From: []string{"example.co.uk"}, SPF: spf("other.co.uk", "pass")}, 0,
			dmarc.Result{Result: "fail", From: "example.co.uk", Policy: "quarantine", Requested: "quarantine", PolicyDomain: "example.co.uk", Reason: "no aligned SPF or DKIM pass"}},
		{"pct: in sample", dmarc.Input{From: []string{"pct.example"}, SPF: otherPass}, 49,
			dmarc.Result{Result: "fail", From: "pct.example", Policy: "reject", Requested: "reject", PolicyDomain: "pct.example", Reason: "no aligned SPF or DKIM pass"}},
		{"pct: reject outside sample", dmarc.Input{From: []string{"pct.example"}, SPF: otherPass}, 50,
			dmarc.Result{Result: "fail", From: "pct.example", Policy: "quarantine", Requested: "reject", PolicyDomain: "pct.example", SampledOut: true, Reason: "no aligned SPF or DKIM pass; outside pct sample"}},
		{"pct: quarantine outside sample", dmarc.Input{From: []string{"pctq.example"}, SPF: otherPass}, 99,
			dmarc.Result{Result: "fail", From: "pctq.example", Policy: "none", Requested: "quarantine", PolicyDomain: "pctq.example", SampledOut: true, Reason: "no aligned SPF or DKIM pass; outside pct sample"}},
		{"pct=0", dmarc.Input{From: []string{"pct0.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "pct0.example", Policy: "quarantine", Requested: "reject", PolicyDomain: "pct0.example", SampledOut: true, Reason: "no aligned SPF or DKIM pass; outside pct sample"}},
		{"several From, same domain", dmarc.Input{From: []string{"example.com", "EXAMPLE.COM."}, DKIM: dkim("example.com", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "example.com", Policy: "none", Requested: "reject", PolicyDomain: "example.com", DKIMAligned: true, Reason: "aligned DKIM pass"}},
		{"several From, one passes", dmarc.Input{From: []string{"example.com", "quar.example"}, DKIM: dkim("example.com", "pass")}, 0,
			dmarc.Result{Result: "fail", From: "quar.example", Policy: "quarantine", Requested: "quarantine", PolicyDomain: "quar.example", Reason: "no aligned SPF or DKIM pass"}},
		{"several From, strictest failure", dmarc.Input{From: []string{"quar.example", "example.com", "nonepol.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"several From, no record and pass", dmarc.Input{From: []string{"example.com", "norecord.example"}, SPF: spf("example.com", "pass")}, 0,
			dmarc.Result{Result: "none", From: "norecord.example", Policy: "none", Reason: "no DMARC record"}},
		{"no record", dmarc.Input{From: []string{"norecord.example"}, SPF: spf("norecord.example", "pass")}, 0,
			dmarc.Result{Result: "none", From: "norecord.example", Policy: "none", Reason: "no DMARC record"}},
		{"only a non-DMARC TXT", dmarc.Input{From: []string{"spf-only.example"}}, 0,
			dmarc.Result{Result: "none", From: "spf-only.example", Policy: "none", Reason: "no DMARC record"}},
		{"broken record", dmarc.Input{From: []string{"broken.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "permerror", From: "broken.example", Policy: "none", PolicyDomain: "broken.example", Reason: "DMARC record has no valid policy"}},
		{"invalid p with rua is p=none", dmarc.Input{From: []string{"rua.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "rua.example", Policy: "none", Requested: "none", PolicyDomain: "rua.example", Reason: "no aligned SPF or DKIM pass"}},
		{"two records", dmarc.Input{From: []string{"two.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "none", From: "two.example", Policy: "none", Reason: "multiple DMARC records"}},
		{"IDN From", dmarc.Input{From: []string{"Bücher.example"}, DKIM: dkim("xn--bcher-kva.example", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "xn--bcher-kva.example", Policy: "none", Requested: "reject", PolicyDomain: "xn--bcher-kva.example", DKIMAligned: true, Reason: "aligned DKIM pass"}},
		{"no From", dmarc.Input{SPF: otherPass}, 0,
			dmarc.Result{Result: "permerror", Policy: "none", Reason: "no From domain"}},
		{"invalid From domain", dmarc.Input{From: []string{"a..example"}}, 0,
			dmarc.Result{Result: "permerror", From: "a..example", Policy: "none", Reason: "invalid From domain"}},
		// Temporary failures.
		{"lookup failed, nothing passes", dmarc.Input{From: []string{"tmp.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "temperror", From: "tmp.example", Policy: "none", TempCause: "dmarc", Reason: "DMARC record lookup failed temporarily"}},
		{"lookup failed, strictly aligned pass", dmarc.Input{From: []string{"tmp.example"}, DKIM: dkim("tmp.example", "pass")}, 0,
			dmarc.Result{Result: "pass", From: "tmp.example", Policy: "none", DKIMAligned: true, Reason: "strictly aligned pass; DMARC record lookup failed temporarily"}},
		{"lookup failed, relaxed pass only", dmarc.Input{From: []string{"tmp.example"}, SPF: spf("mail.tmp.example", "pass")}, 0,
			dmarc.Result{Result: "temperror", From: "tmp.example", Policy: "none", TempCause: "dmarc", Reason: "DMARC record lookup failed temporarily"}},
		{"org lookup failed", dmarc.Input{From: []string{"sub.tmporg.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "temperror", From: "sub.tmporg.example", Policy: "none", TempCause: "dmarc", Reason: "DMARC record lookup failed temporarily"}},
		{"aligned SPF temperror, reject", dmarc.Input{From: []string{"example.com"}, SPF: spf("bounce.example.com", "temperror"), DKIM: dkim("other.net", "pass")}, 0,
			dmarc.Result{Result: "temperror", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", TempCause: "spf", Reason: "aligned SPF check failed temporarily"}},
		{"aligned DKIM temperror, quarantine", dmarc.Input{From: []string{"quar.example"}, SPF: otherPass, DKIM: dkim("quar.example", "temperror")}, 0,
			dmarc.Result{Result: "temperror", From: "quar.example", Policy: "quarantine", Requested: "quarantine", PolicyDomain: "quar.example", TempCause: "dkim", Reason: "aligned DKIM check failed temporarily"}},
		{"aligned temperror, p=none", dmarc.Input{From: []string{"nonepol.example"}, SPF: spf("nonepol.example", "temperror")}, 0,
			dmarc.Result{Result: "fail", From: "nonepol.example", Policy: "none", Requested: "none", PolicyDomain: "nonepol.example", Reason: "no aligned SPF or DKIM pass"}},
		{"unaligned temperror", dmarc.Input{From: []string{"example.com"}, SPF: spf("other.net", "temperror"), DKIM: dkim("other.net", "temperror")}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"strict mode: relaxed-only temperror", dmarc.Input{From: []string{"strict.example"}, SPF: spf("mail.strict.example", "temperror")}, 0,
			dmarc.Result{Result: "fail", From: "strict.example", Policy: "reject", Requested: "reject", PolicyDomain: "strict.example", Reason: "no aligned SPF or DKIM pass"}},
		{"temperror outside pct sample to none", dmarc.Input{From: []string{"pctq.example"}, SPF: spf("pctq.example", "temperror")}, 60,
			dmarc.Result{Result: "fail", From: "pctq.example", Policy: "none", Requested: "quarantine", PolicyDomain: "pctq.example", SampledOut: true, Reason: "no aligned SPF or DKIM pass; outside pct sample"}},
		{"several From: reject beats temperror", dmarc.Input{From: []string{"tmp.example", "example.com"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "fail", From: "example.com", Policy: "reject", Requested: "reject", PolicyDomain: "example.com", Reason: "no aligned SPF or DKIM pass"}},
		{"several From: temperror beats quarantine", dmarc.Input{From: []string{"quar.example", "tmp.example"}, SPF: otherPass}, 0,
			dmarc.Result{Result: "temperror", From: "tmp.example", Policy: "none", TempCause: "dmarc", Reason: "DMARC record lookup failed temporarily"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := dmarc.New(dmarc.Config{Resolver: r, Sample: func() int { return c.sample }})
			got := e.Evaluate(ctx(t), c.in)
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestSampleOnlyWhenNeeded: with pct=100 or a pass, no sample is drawn;
// the default source samples about pct percent.
func TestSample(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t, policies...)
	r := dnsr.New([]string{srv.Addr}, 300*time.Millisecond)
	calls := 0
	e := dmarc.New(dmarc.Config{Resolver: r, Sample: func() int { calls++; return 99 }})
	e.Evaluate(ctx(t), dmarc.Input{From: []string{"example.com"}})
	e.Evaluate(ctx(t), dmarc.Input{From: []string{"pct.example"}, SPF: spf("pct.example", "pass")})
	if calls != 0 {
		t.Fatalf("Sample called %d times", calls)
	}
	e = dmarc.New(dmarc.Config{Resolver: r})
	rejects := 0
	const n = 400
	for range n {
		if e.Evaluate(ctx(t), dmarc.Input{From: []string{"pct.example"}}).Policy == dmarc.PolicyReject {
			rejects++
		}
	}
	// pct=50: 200 expected; the bounds are 5 standard deviations (10).
	if rejects < 150 || rejects > 250 {
		t.Fatalf("%d of %d rejected with pct=50", rejects, n)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
