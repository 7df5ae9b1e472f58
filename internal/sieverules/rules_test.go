package sieverules_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sieverules"
)

// compile generates and compiles s, failing the test on any error.
func compile(t *testing.T, s sieverules.Set) (*sieve.Script, []byte) {
	t.Helper()
	src, err := sieverules.Generate(s)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	sc, err := sieve.Compile(src, sieve.Limits{})
	if err != nil {
		t.Fatalf("the generated script does not compile: %v\n%s", err, src)
	}
	return sc, src
}

// run runs sc on a message of header lines and returns its actions as
// "kind:mailbox:flags:address" strings.
func run(t *testing.T, sc *sieve.Script, header ...string) []string {
	t.Helper()
	raw := strings.Join(header, "\r\n") + "\r\n\r\nbody\r\n"
	res := sc.Run(context.Background(), sieve.ParseMessage([]byte(raw)), sieve.Environment{
		Envelope: sieve.Envelope{From: "sender@example.net", To: "me@example.org"}, Now: time.Unix(0, 0)})
	if res.Err != nil {
		t.Fatalf("run: %v", res.Err)
	}
	var out []string
	for _, a := range res.Actions {
		s := string(a.Kind)
		switch a.Kind {
		case sieve.Keep, sieve.FileInto:
			s += ":" + a.Mailbox + ":" + strings.Join(a.Flags, ",")
		case sieve.Redirect:
			s += ":" + a.Address + fmt.Sprint(":copy=", a.Copy)
		case sieve.Vacation:
			s += ":" + a.Vacation.Subject + ":" + a.Reason + fmt.Sprint(":", a.Vacation.Period, a.Vacation.Addresses)
		}
		out = append(out, s)
	}
	return out
}

func wantActions(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: actions %q, want %q", what, got, want)
	}
}

// Values are escaped (quote, backslash) and stay literal: wildcards and
// ${...} mean nothing under :contains and :is, without the variables or
// encoded-character extensions.
func TestEscapedValuesMatchLiterally(t *testing.T) {
	folder := `Promo "A"\B*`
	sc, src := compile(t, sieverules.Set{Rules: []sieverules.Rule{
		{Field: "subject", Match: "contains", Value: `50% "off" *deal\`, Action: "fileinto", Arg: folder, Stop: true},
		{Field: "subject", Match: "is", Value: `${hex:41}?`, Action: "flag", Arg: `\Flagged`},
	}})
	if !strings.Contains(string(src), `"50% \"off\" *deal\\"`) {
		t.Errorf("value not escaped as RFC 5228 §2.4.2 says:\n%s", src)
	}
	wantActions(t, "literal match", run(t, sc, `Subject: Today: 50% "off" *deal\ now`),
		"fileinto:"+folder+":")
	wantActions(t, "a * is no wildcard", run(t, sc, `Subject: 50% "off" great deal\`), "keep:INBOX:")
	wantActions(t, "${hex:41} is literal", run(t, sc, "Subject: ${hex:41}?"), `keep:INBOX:\Flagged`)
	wantActions(t, "${hex:41} is not A", run(t, sc, "Subject: A?"), "keep:INBOX:")
}

// From and To compared with :is compare the address (any case); with
// :contains the whole field; To covers Cc; not-contains inverts.
func TestFieldsAndMatches(t *testing.T) {
	sc, _ := compile(t, sieverules.Set{Rules: []sieverules.Rule{
		{Field: "from", Match: "is", Value: "Boss@Example.com", Action: "flag", Arg: `\Flagged`},
		{Field: "from", Match: "contains", Value: "The Boss", Action: "flag", Arg: "$boss"},
		{Field: "to", Match: "contains", Value: "list@lists.example", Action: "fileinto", Arg: "Lists"},
		{Field: "header", Header: "X-Spam-Flag", Match: "is", Value: "YES", Action: "fileinto", Arg: "Junk", Stop: true},
		{Field: "subject", Match: "not-contains", Value: "[ok]", Action: "discard"},
	}})
	wantActions(t, "from is, from contains", run(t, sc, "From: The Boss <boss@example.com>", "Subject: [ok]"),
		`keep:INBOX:\Flagged,$boss`)
	wantActions(t, "from is with another address", run(t, sc, "From: boss@example.com.evil", "Subject: [ok]"),
		"keep:INBOX:")
	wantActions(t, "to covers cc", run(t, sc, "To: me@example.org", "Cc: list@lists.example", "Subject: [ok]"),
		"fileinto:Lists:")
	wantActions(t, "stop ends the rules", run(t, sc, "X-Spam-Flag: yes", "Subject: nothing"), "fileinto:Junk:")
	wantActions(t, "not-contains", run(t, sc, "Subject: nothing"), "discard")
}

// Redirect with :copy keeps the message here too; without it, not.
// The vacation comes before the rules, so a stop leaves it.
func TestRedirectAndVacation(t *testing.T) {
	sc, src := compile(t, sieverules.Set{
		Rules: []sieverules.Rule{
			{Field: "subject", Match: "contains", Value: "copy", Action: "redirect", Arg: "other@example.net", Copy: true},
			{Field: "subject", Match: "contains", Value: "move", Action: "redirect", Arg: "other@example.net", Stop: true},
		},
		Vacation: sieverules.Vacation{Enabled: true, Days: 3, Subject: `Away "now"`,
			Reason: "Back on Monday.\n${hex:41} \\ bye", Addresses: []string{"me@example.org", "alias@example.org"}},
	})
	for _, ext := range []string{`"copy"`, `"vacation"`} {
		if !strings.Contains(string(src), ext) {
			t.Errorf("the script does not require %s:\n%s", ext, src)
		}
	}
	vac := `vacation:Away "now":Back on Monday.` + "\r\n" + `${hex:41} \ bye:72h0m0s [me@example.org alias@example.org]`
	wantActions(t, "redirect :copy", run(t, sc, "Subject: copy"), vac, "redirect:other@example.net:copy=true", "keep:INBOX:")
	wantActions(t, "redirect", run(t, sc, "Subject: move"), vac, "redirect:other@example.net:copy=false")
}

// Every rule set the editor accepts compiles and reads back equal; hand
// edits and scripts without the marker are refused.
func TestRoundTrip(t *testing.T) {
	sets := []sieverules.Set{
		{},
		{Vacation: sieverules.Vacation{Days: 7, Reason: "kept while off"}},
		{Vacation: sieverules.Vacation{Enabled: true, Days: 1, Reason: "x"}},
		{Vacation: sieverules.Vacation{Enabled: true, Days: sieverules.MaxDays, Subject: "é ü", Reason: "a\n\tb\n", Addresses: []string{"a@b.example"}}},
	}
	for _, f := range []string{"from", "to", "subject", "header"} {
		for _, m := range []string{"contains", "is", "not-contains"} {
			for _, a := range []struct {
				act, arg string
				copy     bool
			}{{"fileinto", "Work/Reports", false}, {"flag", `\Seen`, false}, {"flag", "Important", false},
				{"redirect", "x@y.example", true}, {"redirect", "x@y.example", false}, {"discard", "", false}} {
				r := sieverules.Rule{Field: f, Match: m, Value: `v "1" \ * ? ${x}`, Action: a.act, Arg: a.arg, Copy: a.copy, Stop: m == "is"}
				if f == "header" {
					r.Header = "List-Id"
				}
				sets = append(sets, sieverules.Set{Rules: []sieverules.Rule{r, r}})
			}
		}
	}
	// The largest rules, every character escaped in the JSON or the
	// script: the script stays within sieve's 1 MiB.
	for _, c := range []string{"<", `"`, `\`, "\u2028"} {
		many := sieverules.Set{}
		for i := range sieverules.MaxRules {
			long := fmt.Sprint(i) + strings.Repeat(c, (sieverules.MaxValue-3)/len(c))
			many.Rules = append(many.Rules, sieverules.Rule{Field: "header", Header: strings.Repeat("h", 76), Match: "contains",
				Value: long, Action: "fileinto", Arg: long, Stop: true})
		}
		sets = append(sets, many)
	}
	for i, s := range sets {
		_, src := compile(t, s)
		back, err := sieverules.Parse(src)
		if err != nil || !sameSet(back, s) {
			t.Fatalf("set %d: Parse = %+v, %v; want %+v", i, back, err, s)
		}
		crlf := strings.ReplaceAll(string(src), "\n", "\r\n")
		if back, err := sieverules.Parse([]byte(crlf)); err != nil || !sameSet(back, s) {
			t.Errorf("set %d with CRLF line ends: %+v, %v", i, back, err)
		}
		edited := strings.Replace(string(src), "\n#", "\n#x", 1)
		if _, err := sieverules.Parse([]byte(edited)); !errors.Is(err, sieverules.ErrHandWritten) {
			t.Errorf("set %d edited by hand: %v, want ErrHandWritten", i, err)
		}
	}
	for _, src := range []string{"", "keep;\n", sieverules.Marker + "{}", sieverules.Marker + "{\"rules\":null,\"x\":1}\n",
		"# petrel-rules v2 {}\nkeep;\n"} {
		if _, err := sieverules.Parse([]byte(src)); !errors.Is(err, sieverules.ErrHandWritten) {
			t.Errorf("Parse(%q) = %v, want ErrHandWritten", src, err)
		}
	}
}

// sameSet compares two sets, an empty list equal to none.
func sameSet(a, b sieverules.Set) bool {
	return slices.Equal(a.Rules, b.Rules) && a.Vacation.Enabled == b.Vacation.Enabled && a.Vacation.Days == b.Vacation.Days &&
		a.Vacation.Subject == b.Vacation.Subject && a.Vacation.Reason == b.Vacation.Reason &&
		slices.Equal(a.Vacation.Addresses, b.Vacation.Addresses)
}

// Bad input is refused with the rule and the field at fault.
func TestValidate(t *testing.T) {
	ok := sieverules.Rule{Field: "subject", Match: "contains", Value: "x", Action: "fileinto", Arg: "F"}
	with := func(f func(*sieverules.Rule)) sieverules.Set {
		r := ok
		f(&r)
		return sieverules.Set{Rules: []sieverules.Rule{ok, r}}
	}
	cases := []struct {
		name  string
		set   sieverules.Set
		field string
	}{
		{"unknown field", with(func(r *sieverules.Rule) { r.Field = "body" }), "field"},
		{"header without a name", with(func(r *sieverules.Rule) { r.Field = "header" }), "header"},
		{"header name with a colon", with(func(r *sieverules.Rule) { r.Field, r.Header = "header", "X-A:" }), "header"},
		{"header name on from", with(func(r *sieverules.Rule) { r.Header = "X-A" }), "header"},
		{"unknown match", with(func(r *sieverules.Rule) { r.Match = "matches" }), "match"},
		{"empty value", with(func(r *sieverules.Rule) { r.Value = "" }), "value"},
		{"value with a line end", with(func(r *sieverules.Rule) { r.Value = "a\r\nb" }), "value"},
		{"value too long", with(func(r *sieverules.Rule) { r.Value = strings.Repeat("x", sieverules.MaxValue+1) }), "value"},
		{"value not UTF-8", with(func(r *sieverules.Rule) { r.Value = "\xff" }), "value"},
		{"no folder", with(func(r *sieverules.Rule) { r.Arg = "" }), "arg"},
		{"bad flag", with(func(r *sieverules.Rule) { r.Action, r.Arg = "flag", `\Recent` }), "arg"},
		{"keyword with a space", with(func(r *sieverules.Rule) { r.Action, r.Arg = "flag", "a b" }), "arg"},
		{"bad address", with(func(r *sieverules.Rule) { r.Action, r.Arg = "redirect", "Bob <b@x.example>" }), "arg"},
		{"copy on fileinto", with(func(r *sieverules.Rule) { r.Copy = true }), "copy"},
		{"discard with an argument", with(func(r *sieverules.Rule) { r.Action = "discard" }), "arg"},
		{"unknown action", with(func(r *sieverules.Rule) { r.Action = "reject" }), "action"},
		{"vacation days 0", sieverules.Set{Vacation: sieverules.Vacation{Enabled: true, Reason: "x"}}, "days"},
		{"vacation days too many", sieverules.Set{Vacation: sieverules.Vacation{Days: 366, Reason: "x"}}, "days"},
		{"vacation without text", sieverules.Set{Vacation: sieverules.Vacation{Enabled: true, Days: 7, Reason: " \n"}}, "reason"},
		{"vacation text with CR", sieverules.Set{Vacation: sieverules.Vacation{Enabled: true, Days: 7, Reason: "a\rb"}}, "reason"},
		{"vacation bad address", sieverules.Set{Vacation: sieverules.Vacation{Days: 7, Addresses: []string{"nope"}}}, "addresses"},
	}
	for _, c := range cases {
		_, err := sieverules.Generate(c.set)
		var fe *sieverules.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want an error on %q", c.name, err, c.field)
			continue
		}
		if wantRule := 1; c.set.Rules != nil && fe.Rule != wantRule || c.set.Rules == nil && fe.Rule != -1 {
			t.Errorf("%s: error on rule %d", c.name, fe.Rule)
		}
	}
	tooMany := sieverules.Set{Rules: make([]sieverules.Rule, sieverules.MaxRules+1)}
	if _, err := sieverules.Generate(tooMany); err == nil {
		t.Errorf("%d rules accepted", sieverules.MaxRules+1)
	}
}

// Normalize trims, writes the reply's line ends as LF and system flags
// in their usual case; what it gives validates when the input made sense.
func TestNormalize(t *testing.T) {
	n := sieverules.Normalize(sieverules.Set{
		Rules:    []sieverules.Rule{{Field: "subject", Match: "is", Value: " x ", Action: "flag", Arg: ` \flagged `}},
		Vacation: sieverules.Vacation{Enabled: true, Days: 2, Reason: "a\r\nb\rc", Addresses: []string{" a@b.example ", "", " "}},
	})
	r := n.Rules[0]
	if r.Value != "x" || r.Arg != `\Flagged` || n.Vacation.Reason != "a\nb\nc" || !slices.Equal(n.Vacation.Addresses, []string{"a@b.example"}) {
		t.Errorf("Normalize = %+v", n)
	}
	compile(t, n)
}
