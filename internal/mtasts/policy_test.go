package mtasts

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParsePolicy(t *testing.T) {
	good := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.backup.example.org\r\nmax_age: 604800\r\n"
	p, err := ParsePolicy(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeEnforce || p.MaxAge != 7*24*time.Hour || !slices.Equal(p.MX, []string{"mail.example.org", "*.backup.example.org"}) {
		t.Errorf("parsed %+v", p)
	}
	for _, tc := range []struct {
		name, text string
		want       Policy // Mode "" = an error
	}{
		{"LF only, no final terminator", "version: STSv1\nmode: testing\nmx: MX.Example.ORG\nmax_age: 86400",
			Policy{Mode: ModeTesting, MX: []string{"mx.example.org"}, MaxAge: 24 * time.Hour}},
		{"fields in any order, tabs", "max_age:\t60 \nmx:mx.example.org\t\nmode: testing\nversion: STSv1\n",
			Policy{Mode: ModeTesting, MX: []string{"mx.example.org"}, MaxAge: time.Minute}},
		{"extension ignored", "version: STSv1\nmode: testing\nx-note: hello world\nmx: mx.example.org\nmax_age: 1\n",
			Policy{Mode: ModeTesting, MX: []string{"mx.example.org"}, MaxAge: time.Second}},
		{"none without mx", "version: STSv1\nmode: none\nmax_age: 86400\n", Policy{Mode: ModeNone, MaxAge: 24 * time.Hour}},
		{"blank lines skipped", "version: STSv1\r\n\r\nmode: none\r\nmax_age: 5\r\n\r\n", Policy{Mode: ModeNone, MaxAge: 5 * time.Second}},
		{"max_age capped", "version: STSv1\nmode: none\nmax_age: 9999999999\n", Policy{Mode: ModeNone, MaxAge: MaxMaxAge}},
		{"no version", "mode: enforce\nmx: mx.example.org\nmax_age: 60\n", Policy{}},
		{"wrong version", "version: STSv2\nmode: enforce\nmx: mx.example.org\nmax_age: 60\n", Policy{}},
		{"no mode", "version: STSv1\nmx: mx.example.org\nmax_age: 60\n", Policy{}},
		{"unknown mode", "version: STSv1\nmode: Enforce\nmx: mx.example.org\nmax_age: 60\n", Policy{}},
		{"no max_age", "version: STSv1\nmode: enforce\nmx: mx.example.org\n", Policy{}},
		{"max_age 11 digits", "version: STSv1\nmode: none\nmax_age: 10000000000\n", Policy{}},
		{"max_age negative", "version: STSv1\nmode: none\nmax_age: -1\n", Policy{}},
		{"max_age with unit", "version: STSv1\nmode: none\nmax_age: 1d\n", Policy{}},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 60\n", Policy{}},
		{"mode twice", "version: STSv1\nmode: testing\nmode: enforce\nmx: mx.example.org\nmax_age: 60\n", Policy{}},
		{"wildcard in the middle", "version: STSv1\nmode: enforce\nmx: mx.*.example.org\nmax_age: 60\n", Policy{}},
		{"bare wildcard", "version: STSv1\nmode: enforce\nmx: *\nmax_age: 60\n", Policy{}},
		{"mx with a space", "version: STSv1\nmode: enforce\nmx: mx.example.org other.example.org\nmax_age: 60\n", Policy{}},
		{"space before the key", " version: STSv1\nmode: none\nmax_age: 60\n", Policy{}},
		{"line without colon", "version: STSv1\nmode none\nmax_age: 60\n", Policy{}},
		{"empty value", "version: STSv1\nmode: none\nmax_age: 60\nx-ext:\n", Policy{}},
		{"control character", "version: STSv1\nmode: none\nmax_age: 60\nx-ext: a\x00b\n", Policy{}},
		{"HTML", "<html><body>not found</body></html>", Policy{}},
		{"empty", "", Policy{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePolicy(tc.text)
			switch {
			case tc.want.Mode == "" && err == nil:
				t.Errorf("parsed %+v, want an error", got)
			case tc.want.Mode != "" && err != nil:
				t.Errorf("error %v, want %+v", err, tc.want)
			case tc.want.Mode != "" && (got.Mode != tc.want.Mode || got.MaxAge != tc.want.MaxAge || !slices.Equal(got.MX, tc.want.MX)):
				t.Errorf("parsed %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMatchMX(t *testing.T) {
	p := Policy{Mode: ModeEnforce, MX: []string{"mail.example.org", "*.example.net"}}
	for host, want := range map[string]bool{
		"mail.example.org":      true,
		"MAIL.Example.ORG.":     true,
		"mail.example.org.evil": false,
		"xmail.example.org":     false,
		"example.org":           false,
		"mx1.example.net":       true,
		"MX1.EXAMPLE.NET.":      true,
		"a.mx1.example.net":     false, // the wildcard is one label (§4.1)
		"example.net":           false,
		".example.net":          false,
		"mx1.example.net.org":   false,
		"":                      false,
	} {
		if got := p.MatchMX(host); got != want {
			t.Errorf("MatchMX(%q) = %v, want %v", host, got, want)
		}
	}
	if (Policy{}).MatchMX("mail.example.org") {
		t.Error("a policy without mx matches a host")
	}
}

func TestTextRoundTrip(t *testing.T) {
	p := Policy{Mode: ModeTesting, MX: []string{"mail.example.org", "*.example.org"}, MaxAge: 86400 * time.Second}
	text := p.Text()
	if want := "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmx: *.example.org\r\nmax_age: 86400\r\n"; text != want {
		t.Errorf("Text = %q, want %q", text, want)
	}
	back, err := ParsePolicy(text)
	if err != nil || back.Mode != p.Mode || back.MaxAge != p.MaxAge || !slices.Equal(back.MX, p.MX) {
		t.Errorf("parsed back %+v, %v", back, err)
	}
	id := p.TextID()
	if !validID(id) || len(id) != 32 {
		t.Errorf("TextID %q is not a valid id of 32 characters", id)
	}
	for _, other := range []Policy{
		{Mode: ModeEnforce, MX: p.MX, MaxAge: p.MaxAge},
		{Mode: p.Mode, MX: p.MX[:1], MaxAge: p.MaxAge},
		{Mode: p.Mode, MX: p.MX, MaxAge: p.MaxAge + time.Second},
	} {
		if other.TextID() == id {
			t.Errorf("policy %+v has the id of %+v", other, p)
		}
	}
	if strings.ContainsAny(id, "-_+/=") {
		t.Errorf("id %q", id)
	}
}
