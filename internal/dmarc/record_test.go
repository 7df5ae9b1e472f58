package dmarc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// defaults is the record Parse returns for "v=DMARC1; p=none".
func defaults() Record {
	return Record{Policy: PolicyNone, DKIM: Relaxed, SPF: Relaxed, Percent: 100,
		FailureOptions: []string{"0"}, ReportFormats: []string{"afrf"}, ReportInterval: 86400}
}

func TestParse(t *testing.T) {
	with := func(f func(*Record)) *Record {
		r := defaults()
		f(&r)
		return &r
	}
	for _, c := range []struct {
		txt  string
		want *Record
	}{
		{"v=DMARC1; p=none", with(func(*Record) {})},
		{"v=DMARC1;p=reject", with(func(r *Record) { r.Policy = PolicyReject })},
		{"v=DMARC1 ;\tP = Quarantine ; ", with(func(r *Record) { r.Policy = PolicyQuarantine })},
		{"V=DMARC1; p=reject; sp=none; adkim=s; aspf=S; pct=20; fo=1:d; rf=AFRF:iodef; ri=3600",
			with(func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.DKIM, r.SPF, r.Percent = PolicyReject, PolicyNone, Strict, Strict, 20
				r.FailureOptions, r.ReportFormats, r.ReportInterval = []string{"1", "d"}, []string{"afrf", "iodef"}, 3600
			})},
		{"v=DMARC1; p=reject; rua=mailto:a@example.org, mailto:b@example.net!10m ,https://r.example/x; ruf=mailto:f@example.org!20",
			with(func(r *Record) {
				r.Policy = PolicyReject
				r.AggregateURIs = []ReportURI{{"mailto:a@example.org", 0}, {"mailto:b@example.net", 10 << 20}, {"https://r.example/x", 0}}
				r.FailureURIs = []ReportURI{{"mailto:f@example.org", 20}}
			})},
		// Invalid optional values take the defaults (RFC 7489 §6.3).
		{"v=DMARC1; p=reject; adkim=x; aspf=; pct=101; fo=2; rf=a-b; ri=-1; rua=not a uri",
			with(func(r *Record) { r.Policy = PolicyReject })},
		{"v=DMARC1; p=reject; pct=1000", with(func(r *Record) { r.Policy = PolicyReject })},
		{"v=DMARC1; p=reject; pct=+5", with(func(r *Record) { r.Policy = PolicyReject })},
		{"v=DMARC1; p=reject; pct=0", with(func(r *Record) { r.Policy, r.Percent = PolicyReject, 0 })},
		// Unknown tags and tags without "=" are ignored; the first of a
		// repeated tag counts.
		{"v=DMARC1; np=reject; x=y; junk; p=quarantine; p=reject", with(func(r *Record) { r.Policy = PolicyQuarantine })},
		// A missing or invalid p=, or an invalid sp=, with a valid rua= is
		// p=none (RFC 7489 §6.6.3 step 6).
		{"v=DMARC1; rua=mailto:d@example.org", with(func(r *Record) {
			r.AggregateURIs = []ReportURI{{"mailto:d@example.org", 0}}
		})},
		{"v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.org", with(func(r *Record) {
			r.AggregateURIs = []ReportURI{{"mailto:d@example.org", 0}}
		})},
	} {
		got, err := Parse(c.txt)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q)\n got %+v, %v\nwant %+v", c.txt, got, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for txt, want := range map[string]error{
		"":                                  ErrNotDMARC,
		"p=reject; v=DMARC1":                ErrNotDMARC,
		"v=DMARC2; p=reject":                ErrNotDMARC,
		"v=dmarc1; p=reject":                ErrNotDMARC,
		"v=spf1 -all":                       ErrNotDMARC,
		"v=DMARC1":                          ErrNoPolicy,
		"v=DMARC1; p=bogus":                 ErrNoPolicy,
		"v=DMARC1; p=reject; sp=bogus":      ErrNoPolicy,
		"v=DMARC1; p=; rua=bad uri":         ErrNoPolicy,
		"v=DMARC1; p=bogus; rua=mailto:x!y": ErrNoPolicy,
	} {
		if _, err := Parse(txt); !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %v, want %v", txt, err, want)
		}
	}
}

func TestString(t *testing.T) {
	rec, err := Parse("v=DMARC1; p=reject; sp=none; rua=mailto:a@example.org!1k; fo=s")
	if err != nil {
		t.Fatal(err)
	}
	want := "v=DMARC1; p=reject; sp=none; adkim=r; aspf=r; pct=100; rua=mailto:a@example.org!1024; fo=s; rf=afrf; ri=86400"
	if got := rec.String(); got != want {
		t.Fatalf("String() = %q\nwant %q", got, want)
	}
}

// FuzzParse: Parse never panics; what it accepts has valid fields, and
// its canonical String form parses back to an equal record.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=none",
		"v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; rua=mailto:a@b.c!10m,mailto:d@e.f; ruf=mailto:x@y.z; fo=0:1:d:s; rf=afrf; ri=3600",
		"v=DMARC1; rua=mailto:a@b.c",
		"v=DMARC1;p=reject;;;pct=007;ri=4294967295",
		"v=DMARC1; p=reject; rua=mailto:a@b.c!99999999999999999999t",
		"v = DMARC1 ; p = REJECT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := Parse(txt)
		if err != nil {
			if !errors.Is(err, ErrNotDMARC) && !errors.Is(err, ErrNoPolicy) {
				t.Fatalf("unknown error %v", err)
			}
			return
		}
		if _, ok := parsePolicy(string(rec.Policy)); !ok || rec.Percent < 0 || rec.Percent > 100 {
			t.Fatalf("%q: invalid fields %+v", txt, rec)
		}
		if rec.SubdomainPolicy != "" {
			if _, ok := parsePolicy(string(rec.SubdomainPolicy)); !ok {
				t.Fatalf("%q: sp %q", txt, rec.SubdomainPolicy)
			}
		}
		s := rec.String()
		again, err := Parse(s)
		if err != nil || !reflect.DeepEqual(rec, again) {
			t.Fatalf("%q -> %q -> %+v, %v\nwant %+v", txt, s, again, err, rec)
		}
		if !strings.HasPrefix(s, "v=DMARC1; p=") || again.String() != s {
			t.Fatalf("String not canonical: %q", s)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	const txt = "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; rua=mailto:a@example.org!10m; ruf=mailto:f@example.org; fo=1"
	for b.Loop() {
		if _, err := Parse(txt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrgDomain(b *testing.B) {
	for b.Loop() {
		if OrgDomain("a.b.mail.example.co.uk") != "example.co.uk" {
			b.Fatal("wrong")
		}
	}
}
