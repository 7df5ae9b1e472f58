package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sieverules"
	"github.com/petrelmail/petrel/internal/sievescripts"
)

var revField = regexp.MustCompile(`name="rev" value="([^"]*)"`)

// rev is the rules revision the last filters page carried.
func rev(p page) string {
	if m := revField.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// storedRules reads back the rules script of addr and checks that it is
// the active one.
func (f *fixture) storedRules(addr string) sieverules.Set {
	f.t.Helper()
	ctx := context.Background()
	src, err := f.scripts.Get(ctx, addr, RulesScript)
	must(f.t, err)
	set, err := sieverules.Parse(src)
	must(f.t, err)
	if sc, err := f.scripts.Active(ctx, addr); sc == nil || err != nil {
		f.t.Fatalf("no active script after saving the rules: %v", err)
	}
	infos, _ := f.scripts.List(ctx, addr)
	if !slices.ContainsFunc(infos, func(i sievescripts.Info) bool { return i.Name == RulesScript && i.Active }) {
		f.t.Fatalf("%s is not the active script: %+v", RulesScript, infos)
	}
	return set
}

// runActive runs addr's active script on a message with subject and
// returns its actions.
func (f *fixture) runActive(addr, header string) []sieve.Action {
	f.t.Helper()
	sc, err := f.scripts.Active(context.Background(), addr)
	if sc == nil || err != nil {
		f.t.Fatalf("no active script: %v", err)
	}
	raw := header + "\r\n\r\nbody\r\n"
	res := sc.Run(context.Background(), sieve.ParseMessage([]byte(raw)),
		sieve.Environment{Envelope: sieve.Envelope{From: "s@example.net", To: addr}, Now: time.Unix(0, 0)})
	if res.Err != nil {
		f.t.Fatalf("run: %v", res.Err)
	}
	return res.Actions
}

// A form of the filters page without the CSRF token changes nothing.
func TestFiltersRefuseWithoutCSRF(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	b.want("filters page", b.get(AccountPrefix+"filters"), http.StatusOK, "No rules yet", `id="vacation-form"`, `id="script-form"`)
	for path, form := range map[string]url.Values{
		"filters/rules":        {"field": {"subject"}, "match": {"contains"}, "value": {"x"}, "action": {"discard"}},
		"filters/vacation":     {"enabled": {"1"}, "days": {"7"}, "reason": {"away"}},
		"filters/script":       {"name": {"mine"}, "script": {"keep;"}, "activate": {"1"}},
		"filters/rules/delete": {"i": {"0"}},
		"filters/activate":     {"name": {"mine"}},
	} {
		b.want(path, b.post(AccountPrefix+path, form, false), http.StatusForbidden)
	}
	if infos, _ := f.scripts.List(context.Background(), userAddr); len(infos) != 0 {
		t.Errorf("scripts stored by forms without a CSRF token: %+v", infos)
	}
}

// Rules added, edited, moved and deleted through the forms land in the
// active petrel-rules script, which files, flags and forwards as shown;
// a stale page and bad input are refused with nothing changed.
func TestFiltersRuleEditor(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	p := b.want("filters page", b.get(AccountPrefix+"filters"), http.StatusOK)
	add := url.Values{"rev": {rev(p)}, "field": {"subject"}, "match": {"contains"}, "value": {` Report "Q4" \ *`},
		"action": {"fileinto"}, "arg": {"Work/Reports"}, "stop": {"1"}}
	p = b.want("add rule 1", b.post(AccountPrefix+"filters/rules", add, true), http.StatusOK,
		"Rule added.", "If Subject contains “Report &#34;Q4&#34; \\ *”: file into “Work/Reports”; stop")
	fwd := url.Values{"rev": {rev(p)}, "field": {"header"}, "header": {"List-Id"}, "match": {"is"}, "value": {"dev.lists.example"},
		"action": {"redirect"}, "arg": {"me@elsewhere.example"}, "copy": {"1"}}
	p = b.want("add rule 2", b.post(AccountPrefix+"filters/rules", fwd, true), http.StatusOK, "Rule added.")
	want := []sieverules.Rule{
		{Field: "subject", Match: "contains", Value: `Report "Q4" \ *`, Action: "fileinto", Arg: "Work/Reports", Stop: true},
		{Field: "header", Header: "List-Id", Match: "is", Value: "dev.lists.example", Action: "redirect", Arg: "me@elsewhere.example", Copy: true},
	}
	if got := f.storedRules(userAddr).Rules; !slices.Equal(got, want) {
		t.Fatalf("stored rules %+v, want %+v", got, want)
	}
	acts := f.runActive(userAddr, "Subject: the Report \"Q4\" \\ * now")
	if len(acts) != 1 || acts[0].Kind != sieve.FileInto || acts[0].Mailbox != "Work/Reports" || !acts[0].Create {
		t.Errorf("rule 1 on a matching message: %+v", acts)
	}
	acts = f.runActive(userAddr, "List-Id: dev.lists.example\r\nSubject: hi")
	if len(acts) != 2 || acts[0].Kind != sieve.Redirect || !acts[0].Copy || acts[1].Kind != sieve.Keep {
		t.Errorf("rule 2 on a list message: %+v", acts)
	}

	stale := rev(p)
	p = b.want("move rule 2 up", b.post(AccountPrefix+"filters/rules/move", url.Values{"rev": {rev(p)}, "i": {"1"}, "dir": {"up"}}, true),
		http.StatusOK, "Rule moved.")
	if got := f.storedRules(userAddr).Rules; !slices.Equal(got, []sieverules.Rule{want[1], want[0]}) {
		t.Fatalf("after moving: %+v", got)
	}
	b.want("a form of a stale page", b.post(AccountPrefix+"filters/rules/delete", url.Values{"rev": {stale}, "i": {"0"}}, true),
		http.StatusConflict, "the filters changed since this page was shown")
	if n := len(f.storedRules(userAddr).Rules); n != 2 {
		t.Fatalf("a stale form deleted a rule: %d left", n)
	}

	p = b.want("edit form", b.get(AccountPrefix+"filters?edit=1"), http.StatusOK, `name="i" value="1"`, "Save rule 2", `value="Work/Reports"`)
	edit := url.Values{"rev": {rev(p)}, "i": {"1"}, "field": {"from"}, "match": {"is"}, "value": {"Boss@Example.com"},
		"action": {"flag"}, "arg": {`\flagged`}}
	p = b.want("edit rule 2", b.post(AccountPrefix+"filters/rules", edit, true), http.StatusOK, "Rule 2 saved.")
	if got := f.storedRules(userAddr).Rules[1]; got != (sieverules.Rule{Field: "from", Match: "is", Value: "Boss@Example.com", Action: "flag", Arg: `\Flagged`}) {
		t.Errorf("edited rule: %+v", got)
	}

	bad := url.Values{"rev": {rev(p)}, "field": {"subject"}, "match": {"contains"}, "value": {"kept input"},
		"action": {"redirect"}, "arg": {"not an address"}}
	p = b.want("a bad rule", b.post(AccountPrefix+"filters/rules", bad, true), http.StatusBadRequest,
		"rule 3: enter the address to forward to", `value="kept input"`)
	if n := len(f.storedRules(userAddr).Rules); n != 2 {
		t.Errorf("a bad rule changed the rules: %d", n)
	}
	b.want("delete rule 1", b.post(AccountPrefix+"filters/rules/delete", url.Values{"rev": {rev(p)}, "i": {"0"}}, true),
		http.StatusOK, "Rule 1 deleted.")
	if got := f.storedRules(userAddr).Rules; len(got) != 1 || got[0].Action != "flag" {
		t.Errorf("after deleting rule 1: %+v", got)
	}
}

// The rule editor stops at MaxRules.
func TestFiltersRuleLimit(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	set := sieverules.Set{}
	for range sieverules.MaxRules {
		set.Rules = append(set.Rules, sieverules.Rule{Field: "subject", Match: "is", Value: "x", Action: "discard"})
	}
	src, err := sieverules.Generate(set)
	must(t, err)
	must(t, f.scripts.Put(context.Background(), userAddr, RulesScript, src))
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	p := b.get(AccountPrefix + "filters")
	b.want("one rule too many", b.post(AccountPrefix+"filters/rules", url.Values{"rev": {rev(p)}, "field": {"subject"}, "match": {"is"},
		"value": {"y"}, "action": {"discard"}}, true), http.StatusBadRequest, "at most 100 rules")
	if got, _ := f.scripts.Get(context.Background(), userAddr, RulesScript); string(got) != string(src) {
		t.Errorf("the script changed")
	}
}

// The vacation form writes a vacation command that compiles and replies
// as asked; a bad form is refused and shown again as typed.
func TestFiltersVacation(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	p := b.get(AccountPrefix + "filters")
	form := url.Values{"rev": {rev(p)}, "enabled": {"1"}, "days": {"3"}, "subject": {`Away "until" Monday`},
		"reason": {"I am away.\r\nBack on Monday \\o/"}, "addresses": {"user@example.org, alias@example.org"}}
	p = b.want("vacation on", b.post(AccountPrefix+"filters/vacation", form, true), http.StatusOK, "Vacation reply on.",
		"I am away.\nBack on Monday \\o/</textarea>", `value="user@example.org, alias@example.org"`)
	acts := f.runActive(userAddr, "Subject: hello")
	if len(acts) != 2 || acts[0].Kind != sieve.Vacation || acts[1].Kind != sieve.Keep {
		t.Fatalf("actions %+v, want vacation and keep", acts)
	}
	v := acts[0].Vacation
	if v.Period != 72*time.Hour || v.Subject != `Away "until" Monday` || v.Reason != "I am away.\r\nBack on Monday \\o/" ||
		!slices.Equal(v.Addresses, []string{"user@example.org", "alias@example.org"}) {
		t.Errorf("vacation %+v", v)
	}
	bad := url.Values{"rev": {rev(p)}, "enabled": {"1"}, "days": {"0"}, "reason": {"typed text"}}
	b.want("vacation every 0 days", b.post(AccountPrefix+"filters/vacation", bad, true), http.StatusBadRequest,
		"vacation: reply to each sender at most once in 1 to 365 days", "typed text</textarea>")
	if got := f.storedRules(userAddr).Vacation; got.Days != 3 {
		t.Errorf("a bad form changed the vacation: %+v", got)
	}
	p = b.get(AccountPrefix + "filters")
	b.want("vacation off", b.post(AccountPrefix+"filters/vacation", url.Values{"rev": {rev(p)}, "days": {"3"}, "reason": {"I am away."}}, true),
		http.StatusOK, "Vacation reply off.")
	if acts := f.runActive(userAddr, "Subject: hello"); len(acts) != 1 || acts[0].Kind != sieve.Keep {
		t.Errorf("vacation off: %+v", acts)
	}
}

// The raw editor refuses a script that does not compile, showing the
// line and column and keeping the text; a hand-written active script
// gets a warning, and saving rules activates petrel-rules while the
// hand-written script stays.
func TestFiltersRawScript(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	b.get(AccountPrefix + "filters")
	broken := "require \"fileinto\";\r\nif true {\r\n  fileinto \"x\"\r\n  keep;\r\n}\r\n"
	p := b.want("a script that does not compile", b.post(AccountPrefix+"filters/script",
		url.Values{"name": {"mine"}, "script": {broken}, "activate": {"1"}}, true), http.StatusBadRequest,
		"The script does not compile: line 4", `id="script-error"`, "Line 4, column 3:", "  keep;\n  ^", "fileinto &#34;x&#34;\r\n  keep;")
	_ = p
	if infos, _ := f.scripts.List(ctx, userAddr); len(infos) != 0 {
		t.Fatalf("a broken script was stored: %+v", infos)
	}
	good := "require \"fileinto\";\r\nfileinto \"Mine\";\r\n"
	b.want("a good script", b.post(AccountPrefix+"filters/script", url.Values{"name": {"mine"}, "script": {good}, "activate": {"1"}}, true),
		http.StatusOK, "Script mine saved and active.")
	if acts := f.runActive(userAddr, "Subject: x"); len(acts) != 1 || acts[0].Mailbox != "Mine" {
		t.Fatalf("the hand-written script is not active: %+v", acts)
	}
	p = b.want("warning", b.get(AccountPrefix+"filters"), http.StatusOK, `id="warn-other"`, "Your active script “mine”",
		"fileinto &#34;Mine&#34;")
	b.want("a rule replaces it", b.post(AccountPrefix+"filters/rules", url.Values{"rev": {rev(p)}, "field": {"subject"},
		"match": {"contains"}, "value": {"x"}, "action": {"discard"}}, true), http.StatusOK, "Rule added.")
	f.storedRules(userAddr)
	if src, err := f.scripts.Get(ctx, userAddr, "mine"); err != nil || string(src) != good {
		t.Errorf("the hand-written script was not kept: %q, %v", src, err)
	}

	// The rules script edited by hand is no longer the editor's.
	src, _ := f.scripts.Get(ctx, userAddr, RulesScript)
	b.want("edit petrel-rules by hand", b.post(AccountPrefix+"filters/script", url.Values{"name": {RulesScript},
		"script": {string(src) + "keep;\n"}, "activate": {"1"}}, true), http.StatusOK, "saved and active")
	b.want("hand-edited rules script", b.get(AccountPrefix+"filters"), http.StatusOK, `id="warn-edited"`, "No rules yet")

	b.want("activate mine", b.post(AccountPrefix+"filters/activate", url.Values{"name": {"mine"}}, true), http.StatusOK, "Script mine is active.")
	b.want("delete the active script", b.post(AccountPrefix+"filters/delete", url.Values{"name": {"mine"}}, true), http.StatusBadRequest,
		"the active script cannot be deleted")
	b.want("deactivate", b.post(AccountPrefix+"filters/activate", url.Values{"name": {""}}, true), http.StatusOK, "No script is active")
	b.want("delete", b.post(AccountPrefix+"filters/delete", url.Values{"name": {"mine"}}, true), http.StatusOK, "Script mine deleted.")
	if _, err := f.scripts.Get(ctx, userAddr, "mine"); !errors.Is(err, sievescripts.ErrNotFound) {
		t.Errorf("deleted script still there: %v", err)
	}
}

// A user reaches only their own scripts: the same names as another
// account's change nothing of it.
func TestFiltersOtherAccountUntouched(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	const secret = "# admin's own\r\nkeep;\r\n"
	for _, n := range []string{"admin-script", RulesScript} {
		must(t, f.scripts.Put(ctx, adminAddr, n, []byte(secret)))
	}
	must(t, f.scripts.Activate(ctx, adminAddr, "admin-script"))
	before, _ := f.scripts.List(ctx, adminAddr)

	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	p := b.get(AccountPrefix + "filters?script=admin-script")
	if strings.Contains(p.body, "admin&#39;s own") || strings.Contains(p.body, "admin's own") {
		t.Fatalf("the user sees the admin's script")
	}
	b.post(AccountPrefix+"filters/rules", url.Values{"rev": {rev(p)}, "field": {"subject"}, "match": {"is"}, "value": {"x"}, "action": {"discard"}}, true)
	b.post(AccountPrefix+"filters/script", url.Values{"name": {"admin-script"}, "script": {"discard;"}, "activate": {"1"}}, true)
	b.post(AccountPrefix+"filters/activate", url.Values{"name": {""}}, true)
	b.post(AccountPrefix+"filters/delete", url.Values{"name": {"admin-script"}}, true)
	after, _ := f.scripts.List(ctx, adminAddr)
	if !slices.Equal(before, after) {
		t.Errorf("the admin's scripts changed: %+v -> %+v", before, after)
	}
	for _, n := range []string{"admin-script", RulesScript} {
		if src, err := f.scripts.Get(ctx, adminAddr, n); err != nil || string(src) != secret {
			t.Errorf("the admin's %s: %q, %v", n, src, err)
		}
	}
	if infos, _ := f.scripts.List(ctx, userAddr); len(infos) != 1 || infos[0].Name != RulesScript {
		t.Errorf("the user's scripts: %+v", infos)
	}
}

// Without a script store the page says so and the forms change nothing.
func TestFiltersOff(t *testing.T) {
	f := newFixture(t, authguard.Config{}, func(d *Deps) { d.Scripts = nil })
	b := f.browser()
	b.mustLogin(AccountPrefix, userAddr, userPassword)
	b.want("filters page", b.get(AccountPrefix+"filters"), http.StatusOK, `id="filters-off"`)
	b.want("a rule", b.post(AccountPrefix+"filters/rules", url.Values{"field": {"subject"}, "match": {"is"}, "value": {"x"},
		"action": {"discard"}}, true), http.StatusServiceUnavailable, "this server keeps no filters")
	b.want("a script", b.post(AccountPrefix+"filters/script", url.Values{"name": {"x"}, "script": {"keep;"}}, true),
		http.StatusServiceUnavailable, "this server keeps no filters")
	if infos, _ := f.scripts.List(context.Background(), userAddr); len(infos) != 0 {
		t.Errorf("scripts stored: %+v", infos)
	}
}
