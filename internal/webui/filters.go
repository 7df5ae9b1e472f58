package webui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/sieverules"
	"github.com/petrelmail/petrel/internal/sievescripts"
)

// Scripts keeps the accounts' Sieve scripts (*sievescripts.Scripts);
// every call names the account, and the pages pass the session's.
type Scripts interface {
	Put(ctx context.Context, addr, name string, src []byte) error
	Get(ctx context.Context, addr, name string) ([]byte, error)
	List(ctx context.Context, addr string) ([]sievescripts.Info, error)
	Activate(ctx context.Context, addr, name string) error
	Delete(ctx context.Context, addr, name string) error
}

// RulesScript is the script the rule editor writes (README "Filters and
// vacation").
const RulesScript = "petrel-rules"

// filtersData is the filters page.
type filtersData struct {
	// Off: the server keeps no scripts (Deps.Scripts nil).
	Off      bool
	Rules    []sieverules.Rule
	Vacation sieverules.Vacation
	// Rev identifies the rules script the page shows (its hash, "" for
	// none); the forms send it back so that a change made meanwhile
	// (another window) is not overwritten blindly.
	Rev string
	// Edited: RulesScript exists but was edited by hand; the editor
	// shows no rules and saving replaces it.
	Edited bool
	// Active is the active script's name; OtherActive when it is not
	// RulesScript (saving the rules activates RulesScript instead).
	Active      string
	OtherActive bool
	Scripts     []sievescripts.Info
	// Edit is the index of the rule in the form, -1 for a new rule.
	Edit int
	Form sieverules.Rule
	Raw  rawForm
	// Limits shown next to the forms.
	MaxRules, MaxValue int
}

// loadFilters reads the account's scripts and its rules.
func (u *UI) loadFilters(ctx context.Context, addr string) (*filtersData, error) {
	d := &filtersData{Edit: -1, Form: sieverules.Rule{Field: sieverules.FieldSubject, Match: sieverules.MatchContains,
		Action: sieverules.ActionFileInto}, MaxRules: sieverules.MaxRules, MaxValue: sieverules.MaxValue,
		Vacation: sieverules.Vacation{Days: 7}}
	if u.Scripts == nil {
		d.Off = true
		return d, nil
	}
	var err error
	if d.Scripts, err = u.Scripts.List(ctx, addr); err != nil {
		return d, err
	}
	for _, s := range d.Scripts {
		if s.Active {
			d.Active = s.Name
		}
	}
	d.OtherActive = d.Active != "" && d.Active != RulesScript
	src, err := u.Scripts.Get(ctx, addr, RulesScript)
	if errors.Is(err, sievescripts.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	d.Rev = revision(src)
	set, err := sieverules.Parse(src)
	if err != nil {
		d.Edited = true
		return d, nil
	}
	d.Rules, d.Vacation = set.Rules, set.Vacation
	if d.Vacation.Days == 0 {
		d.Vacation.Days = 7
	}
	return d, nil
}

// revision names one version of a script.
func revision(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:8])
}

// showFilters renders the filters page; edit, when not nil, changes what
// was loaded (a form given back after an error, the rule to edit).
func (u *UI) showFilters(edit func(*filtersData)) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) {
		v.Title = "Filters and vacation"
		d, err := u.loadFilters(r.Context(), v.User)
		v.Data = d
		if err == nil && !d.Off {
			err = u.pickRaw(r, v.User, d)
		}
		if err == nil && !d.Off {
			if edit != nil {
				edit(d)
			}
		}
		u.show(w, "filters", v, err)
	}
}

// filtersPage is GET filters: ?edit=N puts rule N in the form,
// ?script=NAME opens that script in the raw editor.
func (u *UI) filtersPage(w http.ResponseWriter, r *http.Request, v *view) {
	u.showFilters(func(d *filtersData) {
		if i, err := strconv.Atoi(r.URL.Query().Get("edit")); err == nil && i >= 0 && i < len(d.Rules) {
			d.Edit, d.Form = i, d.Rules[i]
		}
	})(w, r, v)
}

// saveRules writes the rules script of set and activates it, once the
// page's revision matches the stored one.
func (u *UI) saveRules(ctx context.Context, addr, rev string, set sieverules.Set) error {
	d, err := u.loadFilters(ctx, addr)
	if err != nil {
		return err
	}
	if d.Off {
		return errNoScripts
	}
	if rev != d.Rev {
		return &ops.Error{Kind: ops.KindExists, Msg: "the filters changed since this page was shown (in another window?); here they are as they are now"}
	}
	src, err := sieverules.Generate(set)
	var fe *sieverules.FieldError
	if errors.As(err, &fe) {
		return &ops.Error{Kind: ops.KindInvalid, Field: fe.Field, Msg: fe.Error()}
	}
	if err != nil {
		return err
	}
	if err := u.Scripts.Put(ctx, addr, RulesScript, src); err != nil {
		return scriptError(err)
	}
	return scriptError(u.Scripts.Activate(ctx, addr, RulesScript))
}

// currentSet is the rule set the page's forms change: the stored one,
// or none when the rules script was edited by hand.
func (u *UI) currentSet(ctx context.Context, addr string) (sieverules.Set, error) {
	d, err := u.loadFilters(ctx, addr)
	return sieverules.Set{Rules: d.Rules, Vacation: d.Vacation}, err
}

// ruleForm reads the rule of a form.
func ruleForm(r *http.Request) sieverules.Rule {
	f := r.PostFormValue
	rule := sieverules.Rule{Field: f("field"), Match: f("match"), Value: f("value"), Action: f("action"),
		Arg: f("arg"), Copy: f("copy") == "1", Stop: f("stop") == "1"}
	if rule.Field == sieverules.FieldHeader {
		rule.Header = f("header")
	}
	if rule.Action == sieverules.ActionDiscard {
		rule.Arg = ""
	}
	if rule.Action != sieverules.ActionRedirect {
		rule.Copy = false
	}
	return sieverules.Normalize(sieverules.Set{Rules: []sieverules.Rule{rule}}).Rules[0]
}

// ruleIndex is the form's rule index; ok is false when it names none.
func ruleIndex(r *http.Request, n int) (int, bool) {
	i, err := strconv.Atoi(r.PostFormValue("i"))
	return i, err == nil && i >= 0 && i < n
}

var errNoRule = &ops.Error{Kind: ops.KindNotFound, Msg: "no such rule (the rules changed?); here they are as they are now"}

// putRule adds a rule (i empty) or replaces rule i.
func (u *UI) putRule(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	rule := ruleForm(r)
	set, err := u.currentSet(ctx, v.User)
	i, flash := -1, "Rule added."
	if err == nil && r.PostFormValue("i") != "" {
		var ok bool
		if i, ok = ruleIndex(r, len(set.Rules)); ok {
			set.Rules[i], flash = rule, "Rule "+strconv.Itoa(i+1)+" saved."
		} else {
			err = errNoRule
		}
	} else if err == nil {
		set.Rules = append(set.Rules, rule)
	}
	if err == nil {
		err = u.saveRules(ctx, v.User, r.PostFormValue("rev"), set)
	}
	u.act(w, r, v, u.showFilters(func(d *filtersData) {
		if err != nil && !errors.Is(err, errNoRule) {
			d.Edit, d.Form = i, rule // the user's input back in the form
		}
	}), flash, err)
}

// deleteRule removes rule i.
func (u *UI) deleteRule(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	set, err := u.currentSet(ctx, v.User)
	i, ok := ruleIndex(r, len(set.Rules))
	if err == nil && !ok {
		err = errNoRule
	}
	if err == nil {
		set.Rules = append(set.Rules[:i], set.Rules[i+1:]...)
		err = u.saveRules(ctx, v.User, r.PostFormValue("rev"), set)
	}
	u.act(w, r, v, u.showFilters(nil), "Rule "+strconv.Itoa(i+1)+" deleted.", err)
}

// moveRule swaps rule i with the one above (dir=up) or below.
func (u *UI) moveRule(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	set, err := u.currentSet(ctx, v.User)
	i, ok := ruleIndex(r, len(set.Rules))
	j := i + 1
	if r.PostFormValue("dir") == "up" {
		j = i - 1
	}
	if err == nil && (!ok || j < 0 || j >= len(set.Rules)) {
		err = errNoRule
	}
	if err == nil {
		set.Rules[i], set.Rules[j] = set.Rules[j], set.Rules[i]
		err = u.saveRules(ctx, v.User, r.PostFormValue("rev"), set)
	}
	u.act(w, r, v, u.showFilters(nil), "Rule moved.", err)
}

// putVacation saves the vacation form.
func (u *UI) putVacation(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	f := r.PostFormValue
	days, _ := strconv.Atoi(strings.TrimSpace(f("days")))
	vac := sieverules.Vacation{Enabled: f("enabled") == "1", Days: days, Subject: f("subject"), Reason: f("reason"),
		Addresses: strings.FieldsFunc(f("addresses"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })}
	vac = sieverules.Normalize(sieverules.Set{Vacation: vac}).Vacation
	set, err := u.currentSet(ctx, v.User)
	if err == nil {
		set.Vacation = vac
		err = u.saveRules(ctx, v.User, f("rev"), set)
	}
	flash := "Vacation reply off."
	if vac.Enabled {
		flash = "Vacation reply on."
	}
	u.act(w, r, v, u.showFilters(func(d *filtersData) {
		if err != nil {
			d.Vacation = vac
		}
	}), flash, err)
}

// scriptError maps the script store's refusals to the page's errors; a
// compile error keeps its line and column (*sieve.Error).
func scriptError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sievescripts.ErrBadName):
		return &ops.Error{Kind: ops.KindInvalid, Field: "name", Msg: err.Error(), Err: err}
	case errors.Is(err, sievescripts.ErrNotFound):
		return &ops.Error{Kind: ops.KindNotFound, Field: "name", Msg: err.Error(), Err: err}
	case errors.Is(err, sievescripts.ErrActive), errors.Is(err, sievescripts.ErrTooMany):
		return &ops.Error{Kind: ops.KindInvalid, Msg: err.Error(), Err: err}
	}
	if line, _, ok := compileError(err); ok && line > 0 {
		return &ops.Error{Kind: ops.KindInvalid, Field: "script", Msg: "The script does not compile: " + err.Error(), Err: err}
	}
	return err
}

// ruleText says what a rule does, for the list.
func ruleText(r sieverules.Rule) string {
	field := map[string]string{sieverules.FieldFrom: "From", sieverules.FieldTo: "To or Cc", sieverules.FieldSubject: "Subject"}[r.Field]
	if r.Field == sieverules.FieldHeader {
		field = "Header " + r.Header
	}
	match := map[string]string{sieverules.MatchContains: "contains", sieverules.MatchIs: "is",
		sieverules.MatchNotContains: "does not contain"}[r.Match]
	var act string
	switch r.Action {
	case sieverules.ActionFileInto:
		act = "file into “" + r.Arg + "”"
	case sieverules.ActionFlag:
		act = "flag " + r.Arg
	case sieverules.ActionRedirect:
		act = "forward to " + r.Arg
		if r.Copy {
			act += ", keeping a copy"
		}
	default:
		act = "delete it"
	}
	if r.Stop {
		act += "; stop"
	}
	return "If " + field + " " + match + " “" + r.Value + "”: " + act
}
