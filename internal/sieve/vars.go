package sieve

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// expand replaces variable references in s when variables is required
// (RFC 5229 §3); a reference that is not well formed stays as written.
func (r *run) expand(s string) string {
	if !r.s.req["variables"] || !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 || !validVarRef(rest[:end]) {
			b.WriteString("${")
			s = rest
			continue
		}
		b.WriteString(r.getVar(rest[:end]))
		s = rest[end+1:]
	}
	return b.String()
}

func (r *run) expandList(ss []string) []string {
	if !r.s.req["variables"] {
		return ss
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.expand(s)
	}
	return out
}

// validVarRef accepts num-variable or [namespace.]identifier.
func validVarRef(name string) bool {
	if name == "" {
		return false
	}
	if isDigit(name[0]) {
		for i := 0; i < len(name); i++ {
			if !isDigit(name[i]) {
				return false
			}
		}
		return true
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" || !isAlpha(part[0]) {
			return false
		}
		for i := 0; i < len(part); i++ {
			if !isAlpha(part[i]) && !isDigit(part[i]) {
				return false
			}
		}
	}
	return true
}

func (r *run) getVar(name string) string {
	if name != "" && isDigit(name[0]) {
		n, err := strconv.Atoi(name)
		if err != nil || n >= len(r.mvars) {
			return ""
		}
		return r.mvars[n]
	}
	k := strings.ToLower(name)
	if v, ok := r.env.Items[strings.TrimPrefix(k, "env.")]; ok && strings.HasPrefix(k, "env.") {
		return v
	}
	if v, ok := r.globals[k]; ok {
		return v
	}
	if strings.HasPrefix(k, "global.") {
		return r.globals[strings.TrimPrefix(k, "global.")]
	}
	return r.vars[k]
}

// validSetName is a name set may assign: an identifier, or one in the
// global namespace (RFC 6609 §3.5).
func validSetName(name string) bool {
	return validVarRef(name) && !isDigit(name[0]) &&
		(!strings.Contains(name, ".") || strings.HasPrefix(strings.ToLower(name), "global."))
}

func (r *run) setVar(n *node, name, v string) error {
	if !validSetName(name) {
		return r.fail(n.pos, "bad variable name %q", name)
	}
	if len(v) > r.lim.MaxVarSize {
		v = truncUTF8(v, r.lim.MaxVarSize)
	}
	k := strings.ToLower(name)
	if strings.HasPrefix(k, "global.") {
		r.globals[strings.TrimPrefix(k, "global.")] = v
		return nil
	}
	if _, ok := r.globals[k]; ok {
		r.globals[k] = v
		return nil
	}
	r.vars[k] = v
	return nil
}

func truncUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// set assigns a variable, applying the modifiers by precedence
// (RFC 5229 §4.1).
func (r *run) set(n *node) error {
	c := n.c
	v := r.expand(c.args[1].strs[0])
	switch {
	case c.has("lower"):
		v = strings.ToLower(v)
	case c.has("upper"):
		v = strings.ToUpper(v)
	}
	if v != "" {
		first, size := utf8.DecodeRuneInString(v)
		switch {
		case c.has("lowerfirst"):
			v = string(unicode.ToLower(first)) + v[size:]
		case c.has("upperfirst"):
			v = string(unicode.ToUpper(first)) + v[size:]
		}
	}
	switch {
	case c.has("quotewildcard"):
		v = quoteWith(v, `*?\`)
	case c.has("quoteregex"):
		v = quoteWith(v, `\.+*?()[]{}|^$`)
	}
	if c.has("length") {
		v = strconv.Itoa(utf8.RuneCountInString(v))
	}
	return r.setVar(n, c.args[0].strs[0], v)
}

func quoteWith(s, special string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(special, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
