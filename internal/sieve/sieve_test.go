package sieve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func plainMsg(t testing.TB) Message {
	raw, err := os.ReadFile("testdata/msgs/plain.eml")
	if err != nil {
		t.Fatal(err)
	}
	return ParseMessage(raw)
}

func runScript(t *testing.T, src string, env Environment) Result {
	t.Helper()
	s, err := Compile([]byte(src), Limits{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if env.Envelope.From == "" && env.Envelope.To == "" {
		env.Envelope = Envelope{From: "sender@example.com", To: "rcpt@example.net"}
	}
	return s.Run(context.Background(), plainMsg(t), env)
}

func TestCompileErrorsHaveLineAndColumn(t *testing.T) {
	cases := []struct{ src, pos, msg string }{
		{"keep;\n  frob;", "2:3", `unknown command "frob"`},
		{"if true {\n keep;\n", "3:1", "expected '}'"},
		{"redirect \"a@b.c;\n", "1:10", "unterminated string"},
		{"/* open\n comment", "1:1", "unterminated comment"},
		{"keep;\nrequire \"fileinto\";", "2:1", "require must come before"},
		{"require \"fileinto\";\nfileinto :copy \"x\";", "2:10", `:copy needs require "copy"`},
		{"if size :over 99999999999999999999G { keep; }", "1:15", "number too large"},
		{"if header :is :contains \"a\" \"b\" { keep; }", "1:15", ":contains cannot be used with :is"},
		{"require \"vacation\";\nvacation :days \"x\" \"r\";", "2:10", ":days needs a number"},
		{"if size 10 { keep; }", "1:4", "size needs :over or :under"},
		{"keep \"x\";", "1:1", "keep takes 0 arguments"},
		{"if header \"a\" :is \"b\" { keep; }", "1:15", "must come before"},
		{"require \"nope\";", "1:1", `unsupported extension "nope"`},
		{"redirect text: x\nfoo\n.\n;", "1:16", "text: must end its line"},
		{"if true { keep; } else keep;", "1:24", "else takes no test"},
		{"require [\"encoded-character\",\"fileinto\"];\nfileinto \"${unicode:110000}\";", "2:10", "bad encoded character"},
	}
	for _, c := range cases {
		_, err := Compile([]byte(c.src), Limits{})
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want an *Error", c.src, err)
			continue
		}
		if se.Pos.String() != c.pos || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%q: %s %q, want %s and %q", c.src, se.Pos, se.Msg, c.pos, c.msg)
		}
	}
}

func TestLexerValues(t *testing.T) {
	res := runScript(t, `require ["fileinto","variables"];
set "a" "q\"b\\c\d";
if size :under 1k { fileinto "small"; }
if size :over 2M { fileinto "big"; }
set "m" text: # comment
line one
..dot
.
;
fileinto "${a}";
fileinto "${m}";
`, Environment{})
	var boxes []string
	for _, a := range res.Actions {
		boxes = append(boxes, a.Mailbox)
	}
	want := []string{"small", `q"b\cd`, "line one\r\n.dot\r\n"}
	if !slices.Equal(boxes, want) {
		t.Fatalf("mailboxes %q, want %q", boxes, want)
	}
}

func TestNumbersScale(t *testing.T) {
	for src, want := range map[string]uint64{"1K": 1 << 10, "3m": 3 << 20, "2G": 2 << 30, "7": 7} {
		l := newLexer(src)
		tok, err := l.next()
		if err != nil || tok.num != want {
			t.Errorf("%s: %d %v, want %d", src, tok.num, err, want)
		}
	}
}

func TestRuntimeErrorKeeps(t *testing.T) {
	res := runScript(t, "require \"reject\";\nkeep;\nreject \"no\";", Environment{})
	var re *RuntimeError
	if !errors.As(res.Err, &re) || re.Pos.Line != 3 {
		t.Fatalf("Err %v, want a runtime error at line 3", res.Err)
	}
	if len(res.Actions) != 1 || res.Actions[0].Kind != Keep || !res.Actions[0].Implicit {
		t.Fatalf("actions %+v, want the implicit keep alone", res.Actions)
	}
}

func TestLimits(t *testing.T) {
	msg := plainMsg(t)
	env := Environment{Envelope: Envelope{From: "a@b.c", To: "d@e.f"}}
	var many strings.Builder
	for i := range 20 {
		fmt.Fprintf(&many, "redirect \"r%d@example.org\";\n", i)
	}
	var steps strings.Builder
	for range 400 {
		steps.WriteString("if header :contains [\"subject\",\"from\",\"to\"] [\"a\",\"b\",\"c\",\"d\"] { }\n")
	}
	cases := []struct {
		name string
		lim  Limits
		src  string
		want string
	}{
		{"redirects", Limits{MaxRedirects: 3}, many.String(), "too many redirects"},
		{"actions", Limits{MaxActions: 5, MaxRedirects: 100}, many.String(), "too many actions"},
		{"steps", Limits{MaxSteps: 1000}, steps.String(), "too many steps"},
	}
	for _, c := range cases {
		s, err := Compile([]byte(c.src), c.lim)
		if err != nil {
			t.Fatal(err)
		}
		res := s.Run(context.Background(), msg, env)
		if res.Err == nil || !strings.Contains(res.Err.Error(), c.want) {
			t.Errorf("%s: Err %v, want %q", c.name, res.Err, c.want)
		}
		if len(res.Actions) != 1 || !res.Actions[0].Implicit {
			t.Errorf("%s: actions %+v, want the implicit keep alone", c.name, res.Actions)
		}
	}
	if _, err := Compile([]byte(strings.Repeat("keep;", 100)), Limits{MaxScriptSize: 50}); err == nil {
		t.Error("a script over MaxScriptSize compiled")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, _ := Compile([]byte(steps.String()), Limits{})
	if res := s.Run(ctx, msg, env); res.Err == nil {
		t.Error("a cancelled run finished without error")
	}
	deep := strings.Repeat("if true {", 100) + strings.Repeat("}", 100)
	if _, err := Compile([]byte(deep), Limits{}); err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestDiscardIsRecordedOnce(t *testing.T) {
	res := runScript(t, "discard; discard;", Environment{})
	if len(res.Actions) != 1 || res.Actions[0].Kind != Discard {
		t.Fatalf("actions %+v, want one discard and no implicit keep", res.Actions)
	}
}

func TestEreject(t *testing.T) {
	res := runScript(t, `require "ereject"; ereject "spam";`, Environment{})
	if len(res.Actions) != 1 || res.Actions[0].Kind != Ereject || res.Actions[0].Reason != "spam" {
		t.Fatalf("actions %+v", res.Actions)
	}
}

func TestEditheaderResult(t *testing.T) {
	res := runScript(t, `require "editheader";
addheader "X-First" "1";
addheader :last "X-Last" "2";
deleteheader "x-multi";
deleteheader "received";
addheader "Received" "forged";`, Environment{})
	h := res.Header
	if len(h) == 0 || h[0] != (Field{"X-First", "1"}) || h[len(h)-1] != (Field{"X-Last", "2"}) {
		t.Fatalf("header %v", h)
	}
	n := 0
	for _, f := range h {
		if strings.EqualFold(f.Name, "x-multi") {
			t.Fatalf("x-multi kept: %v", h)
		}
		if f.Name == "Received" {
			n++
			if f.Value == "forged" {
				t.Fatal("Received added")
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d Received fields, want the 2 protected ones", n)
	}
	if res := runScript(t, "keep;", Environment{}); res.Header != nil {
		t.Fatal("Header set without editheader")
	}
}

type fakeIncludes map[string]string

func (f fakeIncludes) Include(name string, global bool) (*Script, error) {
	src, ok := f[fmt.Sprintf("%v %s", global, name)]
	if !ok {
		return nil, errors.New("no such script")
	}
	return Compile([]byte(src), Limits{})
}

func TestInclude(t *testing.T) {
	inc := fakeIncludes{
		"false sub": `require ["include","variables","fileinto"]; global "box"; set "local" "x"; fileinto "${box}"; return; fileinto "never";`,
		"true spam": `require ["fileinto"]; if header :contains "subject" "hello" { fileinto "Global"; }`,
	}
	res := runScript(t, `require ["include","variables","fileinto"];
global "box";
set "box" "FromGlobal";
set "local" "mine";
include "sub";
include :once "sub";
include :global "spam";
include :optional "missing";
fileinto "${local}";`, Environment{Includes: inc})
	var boxes []string
	for _, a := range res.Actions {
		boxes = append(boxes, a.Mailbox)
	}
	if res.Err != nil || !slices.Equal(boxes, []string{"FromGlobal", "Global", "mine"}) {
		t.Fatalf("mailboxes %q err %v", boxes, res.Err)
	}
	res = runScript(t, `require "include"; include "missing";`, Environment{Includes: inc})
	if res.Err == nil {
		t.Fatal("a missing include without :optional ran")
	}
	loop := fakeIncludes{"false a": `require "include"; include "a";`}
	if res := runScript(t, `require "include"; include "a";`, Environment{Includes: loop}); res.Err == nil {
		t.Fatal("an include loop ran without error")
	}
}

type fakeDups map[string]bool

func (f fakeDups) Seen(k string) bool { return f[k] }

type fakeBoxes []string

func (f fakeBoxes) MailboxExists(n string) bool { return slices.Contains(f, n) }

func TestDuplicateMailboxEnvironmentSpam(t *testing.T) {
	src := `require ["duplicate","fileinto","mailbox","environment","spamtest","spamtestplus","relational","comparator-i;ascii-numeric"];
if duplicate :seconds 60 { fileinto "dup"; }
if duplicate :handle "h" :header "subject" { fileinto "dup-subject"; }
if mailboxexists "Work" { fileinto "Work"; }
if mailboxexists "Nope" { fileinto "Nope"; }
if environment :is "domain" "example.net" { fileinto "env"; }
if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "80" { fileinto "spam"; }`
	env := Environment{
		Duplicates:  fakeDups{"\x00<abc123@example.com>": true},
		Mailboxes:   fakeBoxes{"Work"},
		Items:       map[string]string{"domain": "example.net"},
		SpamPercent: "85",
	}
	res := runScript(t, src, env)
	var boxes []string
	for _, a := range res.Actions {
		boxes = append(boxes, a.Mailbox)
	}
	if !slices.Equal(boxes, []string{"dup", "Work", "env", "spam"}) {
		t.Fatalf("mailboxes %q (err %v)", boxes, res.Err)
	}
	want := []DuplicateMark{{"\x00<abc123@example.com>", time.Minute}, {"h\x00Hello world, meeting tomorrow", 14 * 24 * time.Hour}}
	if !slices.Equal(res.Duplicates, want) {
		t.Fatalf("duplicates %q, want %q", res.Duplicates, want)
	}
}

func TestNullSenderEnvelope(t *testing.T) {
	res := runScript(t, `require ["envelope","fileinto"];
if envelope :is "from" "" { fileinto "null"; }
if envelope :localpart :is "from" "" { fileinto "never"; }`, Environment{Envelope: Envelope{To: "rcpt@example.net"}})
	if len(res.Actions) != 1 || res.Actions[0].Mailbox != "null" {
		t.Fatalf("actions %+v", res.Actions)
	}
}

func TestVacationParameters(t *testing.T) {
	res := runScript(t, `require ["vacation","variables"];
set "who" "me@example.net";
vacation :days 0 :from "${who}" :addresses ["alias@example.net"] :mime :handle "h1" "reason";`, Environment{})
	v := res.Actions[0].Vacation
	if v == nil || v.Period != 24*time.Hour || v.From != "me@example.net" || !v.MIME || v.Handle != "h1" ||
		!slices.Equal(v.Addresses, []string{"alias@example.net"}) {
		t.Fatalf("vacation %+v", v)
	}
	if res := runScript(t, `require "vacation"; vacation "a"; vacation "b";`, Environment{}); res.Err == nil {
		t.Fatal("two vacations ran")
	}
}

func TestCacheCompilesOnce(t *testing.T) {
	c := NewCache(Limits{}, 2)
	a, err := c.Get([]byte("keep;"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Get([]byte("keep;"))
	if a != b {
		t.Fatal("the same source compiled twice")
	}
	if _, err := c.Get([]byte("frob;")); err == nil {
		t.Fatal("a bad script came out of the cache")
	}
}

func TestGlobBacktrackingBounded(t *testing.T) {
	v := strings.Repeat("a", 2000)
	p := strings.Repeat("*a", 30) + "b"
	done := make(chan bool)
	go func() { _, ok, _ := globMatch(v, p, true); done <- ok }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("matched")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("glob match did not finish")
	}
}

func TestCostlyMatchesIsAnErrorThatKeeps(t *testing.T) {
	v := strings.Repeat("a", 3000)
	p := strings.Repeat("*a", 200) + "b"
	if _, _, err := globMatch(v, p, true); err == nil {
		t.Fatal("a costly pattern ran to the end")
	}
	if _, _, err := globMatch("x", strings.Repeat("?", maxGlobTokens+1), false); err == nil {
		t.Fatal("an over-long pattern was accepted")
	}
	if caps, ok, err := globMatch("Hello World", "h*o w*", true); !ok || err != nil || !slices.Equal(caps, []string{"Hello World", "ell", "orld"}) {
		t.Fatalf("caps %q ok %v err %v", caps, ok, err)
	}
}

func TestContainsFoldLong(t *testing.T) {
	v := strings.Repeat("a", 1<<16) + "B"
	k := strings.Repeat("A", 100) + "b"
	if !containsFold(v, k) || containsFold(v, k+"c") {
		t.Fatal("long containsFold wrong")
	}
	if !containsFold("xHeLLo", "hello") || containsFold("hell", "hello") {
		t.Fatal("short containsFold wrong")
	}
}

func TestEnvironmentItems(t *testing.T) {
	env := Environment{Items: EnvironmentItems("example.net", "mx.example.net", "client.example.com", "192.0.2.1", "1.0")}
	res := runScript(t, `require ["environment","fileinto","variables"];
if environment :is "location" "MDA" { fileinto "mda"; }
if environment :matches "remote-ip" "*" { fileinto "ip-${1}"; }
if environment :is "phase" "post" { fileinto "never"; }`, env)
	var boxes []string
	for _, a := range res.Actions {
		boxes = append(boxes, a.Mailbox)
	}
	if !slices.Equal(boxes, []string{"mda", "ip-192.0.2.1"}) {
		t.Fatalf("mailboxes %q", boxes)
	}
}

// FuzzContainsFold checks the jumping search against the plain one.
func FuzzContainsFold(f *testing.F) {
	f.Add("The Quarter numbers UNSUBSCRIBE-4 here", "unsubscribe-4")
	f.Add("aAaAab", "AAB")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, v, k string) {
		if got, want := containsFold(v, k), strings.Contains(asciiLower(v), asciiLower(k)); got != want {
			t.Fatalf("containsFold(%q, %q) = %v, want %v", v, k, got, want)
		}
	})
}

type panickyMessage struct{ Message }

func (panickyMessage) Parts() []Part { panic("broken message reader") }

func TestPanicKeeps(t *testing.T) {
	s, err := Compile([]byte(`require "body"; if body :contains "x" { discard; }`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Run(context.Background(), panickyMessage{plainMsg(t)}, Environment{})
	if res.Err == nil || len(res.Actions) != 1 || !res.Actions[0].Implicit || res.Actions[0].Mailbox != "INBOX" {
		t.Fatalf("result %+v", res)
	}
}
