package sieverules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Limits of a rule set (README "Filters and vacation").
const (
	MaxRules     = 100
	MaxValue     = 1024 // octets of a value, folder, flag or address
	MaxReason    = 8192 // octets of the vacation text
	MaxAddresses = 20   // vacation :addresses
	MaxDays      = 365  // vacation :days
	maxHeader    = 76   // octets of a header name (RFC 5322 §2.1.1 line length)
)

// The fields a rule tests.
const (
	FieldFrom    = "from"
	FieldTo      = "to" // To and Cc
	FieldSubject = "subject"
	FieldHeader  = "header" // Rule.Header names it
)

// The matches.
const (
	MatchContains    = "contains"
	MatchIs          = "is"
	MatchNotContains = "not-contains"
)

// The actions.
const (
	ActionFileInto = "fileinto" // Arg: the folder, created when missing
	ActionFlag     = "flag"     // Arg: \Flagged (or another system flag) or a keyword
	ActionRedirect = "redirect" // Arg: the address; Copy keeps a copy here
	ActionDiscard  = "discard"
)

// Rule is one "if FIELD MATCH VALUE then ACTION".
type Rule struct {
	Field  string `json:"field"`
	Header string `json:"header,omitempty"`
	Match  string `json:"match"`
	Value  string `json:"value"`
	Action string `json:"action"`
	Arg    string `json:"arg,omitempty"`
	Copy   bool   `json:"copy,omitempty"`
	Stop   bool   `json:"stop,omitempty"` // no later rule applies
}

// Vacation is the automatic reply (RFC 5230 §4).
type Vacation struct {
	Enabled   bool     `json:"enabled"`
	Days      int      `json:"days"`
	Subject   string   `json:"subject,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
}

// Set is what the editor keeps: the rules in order and the vacation.
type Set struct {
	Rules    []Rule   `json:"rules"`
	Vacation Vacation `json:"vacation"`
}

// systemFlags are the IMAP system flags a rule may set (RFC 9051 §2.3.2);
// \Recent cannot be set.
var systemFlagNames = []string{`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`}

// Normalize returns s as the editor stores it: spaces trimmed around
// single-line values, line ends of the vacation text as LF, system flags
// in their usual case.
func Normalize(s Set) Set {
	out := Set{Vacation: s.Vacation}
	for _, r := range s.Rules {
		r.Header = strings.TrimSpace(r.Header)
		r.Value = strings.TrimSpace(r.Value)
		r.Arg = strings.TrimSpace(r.Arg)
		for _, f := range systemFlagNames {
			if r.Action == ActionFlag && strings.EqualFold(r.Arg, f) {
				r.Arg = f
			}
		}
		out.Rules = append(out.Rules, r)
	}
	v := &out.Vacation
	v.Subject = strings.TrimSpace(v.Subject)
	v.Reason = strings.ReplaceAll(strings.ReplaceAll(v.Reason, "\r\n", "\n"), "\r", "\n")
	v.Addresses = nil
	for _, a := range s.Vacation.Addresses {
		if a = strings.TrimSpace(a); a != "" {
			v.Addresses = append(v.Addresses, a)
		}
	}
	return out
}

// FieldError is a refused input: the rule (from 0; -1 for the vacation)
// and the field at fault.
type FieldError struct {
	Rule  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Rule < 0 {
		return "vacation: " + e.Msg
	}
	return fmt.Sprintf("rule %d: %s", e.Rule+1, e.Msg)
}

// Validate checks s against the limits and the syntax each part needs.
func (s Set) Validate() error {
	if len(s.Rules) > MaxRules {
		return &FieldError{Rule: MaxRules, Field: "rules", Msg: fmt.Sprintf("at most %d rules", MaxRules)}
	}
	for i, r := range s.Rules {
		if err := r.validate(); err != nil {
			err.Rule = i
			return err
		}
	}
	if err := s.Vacation.validate(); err != nil {
		err.Rule = -1
		return err
	}
	return nil
}

func bad(field, msg string) *FieldError { return &FieldError{Field: field, Msg: msg} }

func (r Rule) validate() *FieldError {
	switch r.Field {
	case FieldFrom, FieldTo, FieldSubject:
		if r.Header != "" {
			return bad("header", "a header name goes with the field \"header\" only")
		}
	case FieldHeader:
		if !validHeaderName(r.Header) {
			return bad("header", "a header name is 1 to 76 printable ASCII characters without a colon")
		}
	default:
		return bad("field", "the field is from, to, subject or header")
	}
	switch r.Match {
	case MatchContains, MatchIs, MatchNotContains:
	default:
		return bad("match", "the match is contains, is or not-contains")
	}
	if r.Value == "" {
		return bad("value", "enter the text to look for")
	}
	if err := checkLine("value", r.Value); err != nil {
		return err
	}
	if r.Copy && r.Action != ActionRedirect {
		return bad("copy", "only a redirect keeps a copy")
	}
	switch r.Action {
	case ActionFileInto:
		if r.Arg == "" {
			return bad("arg", "enter the folder")
		}
		return checkLine("arg", r.Arg)
	case ActionFlag:
		if !validFlag(r.Arg) {
			return bad("arg", `the flag is \Flagged, \Seen, \Answered, \Deleted, \Draft or a keyword of letters, digits and $_.+-`)
		}
	case ActionRedirect:
		if !validAddress(r.Arg) {
			return bad("arg", "enter the address to forward to")
		}
	case ActionDiscard:
		if r.Arg != "" {
			return bad("arg", "discard takes no argument")
		}
	default:
		return bad("action", "the action is fileinto, flag, redirect or discard")
	}
	return nil
}

func (v Vacation) validate() *FieldError {
	if (v.Days < 1 || v.Days > MaxDays) && (v.Enabled || v.Days != 0) {
		return bad("days", fmt.Sprintf("reply to each sender at most once in 1 to %d days", MaxDays))
	}
	if err := checkLine("subject", v.Subject); err != nil {
		return err
	}
	if v.Enabled && strings.TrimSpace(v.Reason) == "" {
		return bad("reason", "enter the text of the reply")
	}
	if len(v.Reason) > MaxReason || !utf8.ValidString(v.Reason) ||
		strings.ContainsFunc(v.Reason, func(r rune) bool { return isControl(r) && r != '\n' && r != '\t' }) {
		return bad("reason", fmt.Sprintf("the reply is at most %d octets of text", MaxReason))
	}
	if len(v.Addresses) > MaxAddresses {
		return bad("addresses", fmt.Sprintf("at most %d addresses", MaxAddresses))
	}
	for _, a := range v.Addresses {
		if !validAddress(a) {
			return bad("addresses", "not an address: "+printable(a))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// checkLine accepts one line of UTF-8 text up to MaxValue octets.
func checkLine(field, s string) *FieldError {
	if len(s) > MaxValue || !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) {
		return bad(field, fmt.Sprintf("at most %d octets of text on one line", MaxValue))
	}
	return nil
}

// validHeaderName: a field name is printable US-ASCII but the colon
// (RFC 5322 §3.6.8).
func validHeaderName(h string) bool {
	if h == "" || len(h) > maxHeader {
		return false
	}
	for i := range len(h) {
		if h[i] < 33 || h[i] > 126 || h[i] == ':' {
			return false
		}
	}
	return true
}

// validFlag accepts a settable system flag or a keyword (an IMAP atom,
// RFC 9051 §9 flag-keyword, kept to a safe alphabet).
func validFlag(f string) bool {
	for _, s := range systemFlagNames {
		if f == s {
			return true
		}
	}
	if f == "" || len(f) > 64 {
		return false
	}
	for i := range len(f) {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("$_.+-", c) >= 0) {
			return false
		}
	}
	return true
}

// validAddress accepts a plain RFC 5321 mailbox, as redirect takes
// (RFC 5228 §4.2): no display name, no quoted local part.
func validAddress(a string) bool {
	if len(a) > MaxValue || !utf8.ValidString(a) || strings.ContainsFunc(a, isControl) || strings.ContainsAny(a, "\" \t<>,") {
		return false
	}
	p, err := mailaddr.Parse(a)
	return err == nil && !p.IsLiteral()
}

// printable cuts s short and drops control characters, for messages.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "..."
	}
	return s
}

// ErrHandWritten is Parse's answer for a script the editor did not write
// or that was edited since.
var ErrHandWritten = errors.New("the script was not written by the rule editor, or was edited by hand since")
