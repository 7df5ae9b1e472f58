package sieverules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Marker starts the comment line that carries the rules as JSON.
const Marker = "# petrel-rules v1 "

const banner = "# Written by Petrel's rule editor (the account page, Filters). Edit it there;\n" +
	"# once edited by hand, the rule editor no longer reads it.\n"

// Generate writes the Sieve script of s, after Validate.
func Generate(s Set) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(Marker)
	enc := json.NewEncoder(&b)
	// Without the HTML escapes (< as \u003c): the largest set stays
	// under the 1 MiB a script may hold (sieve.DefaultLimits).
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil { // one line: JSON escapes control characters; Encode ends it
		return nil, err
	}
	b.WriteString(banner)
	if req := requires(s); len(req) > 0 {
		b.WriteString("require " + stringList(req) + ";\n") // RFC 5228 §3.2
	}
	if v := s.Vacation; v.Enabled {
		// RFC 5230 §4: ahead of the rules, so that a rule's stop leaves it.
		b.WriteString("\n# Vacation\nvacation :days " + strconv.Itoa(v.Days))
		if v.Subject != "" {
			b.WriteString(" :subject " + quote(v.Subject))
		}
		if len(v.Addresses) > 0 {
			b.WriteString(" :addresses " + stringList(v.Addresses))
		}
		b.WriteString(" " + quote(v.Reason) + ";\n")
	}
	for i, r := range s.Rules {
		fmt.Fprintf(&b, "\n# Rule %d\nif %s {\n", i+1, test(r))
		b.WriteString("  " + action(r) + ";\n")
		if r.Stop {
			b.WriteString("  stop;\n") // RFC 5228 §3.3
		}
		b.WriteString("}\n")
	}
	return b.Bytes(), nil
}

// requires lists the extensions s uses (RFC 5228 §3.2: each must be
// required, none needlessly).
func requires(s Set) []string {
	var req []string
	add := func(ext ...string) {
		for _, e := range ext {
			if !slices.Contains(req, e) {
				req = append(req, e)
			}
		}
	}
	if s.Vacation.Enabled {
		add("vacation")
	}
	for _, r := range s.Rules {
		switch {
		case r.Action == ActionFileInto:
			add("fileinto", "mailbox") // RFC 5490 §3.2 :create
		case r.Action == ActionFlag:
			add("imap4flags")
		case r.Action == ActionRedirect && r.Copy:
			add("copy")
		}
	}
	slices.Sort(req)
	return req
}

// test is the Sieve test of r (RFC 5228 §5.1, §5.7, §5.8): From and To
// compared whole with :is are compared as addresses; with :contains the
// whole field (names too) is searched.
func test(r Rule) string {
	fields := quote(r.Field)
	switch r.Field {
	case FieldTo:
		fields = stringList([]string{"to", "cc"})
	case FieldHeader:
		fields = quote(r.Header)
	}
	switch r.Match {
	case MatchIs:
		if r.Field == FieldFrom || r.Field == FieldTo {
			return "address :all :is " + fields + " " + quote(r.Value)
		}
		return "header :is " + fields + " " + quote(r.Value)
	case MatchNotContains:
		return "not header :contains " + fields + " " + quote(r.Value)
	default:
		return "header :contains " + fields + " " + quote(r.Value)
	}
}

// action is the Sieve action of r.
func action(r Rule) string {
	switch r.Action {
	case ActionFileInto:
		return "fileinto :create " + quote(r.Arg) // RFC 5490 §3.2
	case ActionFlag:
		return "addflag " + quote(r.Arg) // RFC 5232 §3.2
	case ActionRedirect:
		if r.Copy {
			return "redirect :copy " + quote(r.Arg) // RFC 3894 §3
		}
		return "redirect " + quote(r.Arg)
	default:
		return "discard"
	}
}

// quote writes s as a quoted string: backslash and double quote escaped
// (RFC 5228 §2.4.2); line ends stay as they are, which a quoted string
// may hold.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := range len(s) {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// stringList writes a string list (RFC 5228 §2.4.2.1).
func stringList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Parse reads back the rules of a script Generate wrote. A script
// without the marker line, with rules that do not validate, or whose
// text differs from what they generate (edited by hand) is refused with
// ErrHandWritten. Line ends may have become CRLF on the way (ManageSieve
// clients).
func Parse(src []byte) (Set, error) {
	text := bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	line, _, ok := bytes.Cut(text, []byte("\n"))
	js, found := bytes.CutPrefix(line, []byte(Marker))
	if !ok || !found {
		return Set{}, ErrHandWritten
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var s Set
	if err := dec.Decode(&s); err != nil || dec.More() {
		return Set{}, ErrHandWritten
	}
	again, err := Generate(s)
	if err != nil || !bytes.Equal(again, text) {
		return Set{}, ErrHandWritten
	}
	return s, nil
}
