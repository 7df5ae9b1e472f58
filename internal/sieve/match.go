package sieve

import (
	"errors"
	"mime"
	"net/mail"
	"regexp"
	"strings"
)

// matchOne compares one value with one key by the test's match type and
// comparator (RFC 5228 §2.7). caps are the match variables of :matches
// and :regex (RFC 5229 §3.2).
func (r *run) matchOne(n *node, v, k string, ki int) (bool, []string, error) {
	mo := n.c.mo
	switch mo.typ {
	case "is":
		return compare(v, k, mo.cmp) == 0, nil, nil
	case "contains":
		if mo.cmp == "i;ascii-numeric" {
			return false, nil, r.fail(n.pos, "comparator i;ascii-numeric cannot do :contains")
		}
		if mo.cmp == "i;ascii-casemap" {
			return containsFold(v, k), nil, nil
		}
		return strings.Contains(v, k), nil, nil
	case "matches":
		if mo.cmp == "i;ascii-numeric" {
			return false, nil, r.fail(n.pos, "comparator i;ascii-numeric cannot do :matches")
		}
		caps, ok, err := globMatch(v, k, mo.cmp == "i;ascii-casemap")
		if err != nil {
			return false, nil, r.fail(n.pos, "%v", err)
		}
		return ok, caps, nil
	case "regex":
		var re *regexp.Regexp
		if ki < len(mo.res) {
			re = mo.res[ki]
		} else {
			var err error
			if re, err = compileRegex(k, mo.cmp); err != nil {
				return false, nil, r.fail(n.pos, "bad regular expression %q", k)
			}
		}
		m := re.FindStringSubmatch(v)
		if m == nil {
			return false, nil, nil
		}
		if len(m) > 10 {
			m = m[:10]
		}
		return true, m, nil
	case "value":
		return relate(compare(v, k, mo.cmp), mo.rel), nil, nil
	}
	return false, nil, nil
}

// containsFold is strings.Contains with ASCII letters compared without
// case, and without copying either string.
func containsFold(v, k string) bool {
	if k == "" {
		return true
	}
	if len(v) > 1<<12 && len(k) > 1<<6 {
		// Long texts and keys: strings.Index's linear search on copies
		// rather than the quadratic loop below.
		return strings.Contains(asciiLower(v), asciiLower(k))
	}
	lo, up := lowerByte(k[0]), k[0]
	if lo >= 'a' && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	last := len(v) - len(k) + 1 // candidates start before last
	nextUp := -1                // next place of up at or after i; len(v) if none
	for i := 0; i < last; i++ {
		// Jump to the next place the first byte occurs, in either case;
		// the upper-case search is remembered so each byte is scanned once.
		j := strings.IndexByte(v[i:last], lo)
		if j >= 0 {
			j += i
		} else {
			j = last
		}
		if up != lo {
			if nextUp < i {
				if u := strings.IndexByte(v[i:last], up); u >= 0 {
					nextUp = i + u
				} else {
					nextUp = last
				}
			}
			j = min(j, nextUp)
		}
		if j >= last {
			return false
		}
		i = j
		m := 1
		for m < len(k) && lowerByte(v[i+m]) == lowerByte(k[m]) {
			m++
		}
		if m == len(k) {
			return true
		}
	}
	return false
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// compare orders a and b by the comparator (RFC 4790 §9).
func compare(a, b, cmp string) int {
	switch cmp {
	case "i;ascii-casemap":
		return strings.Compare(asciiLower(a), asciiLower(b))
	case "i;ascii-numeric":
		return compareNumeric(a, b)
	}
	return strings.Compare(a, b)
}

// compareNumeric compares the leading digits of a and b as numbers; a
// string not starting with a digit is positive infinity (RFC 4790 §9.1).
func compareNumeric(a, b string) int {
	da, db := leadingDigits(a), leadingDigits(b)
	switch {
	case da == "" && db == "":
		return 0
	case da == "":
		return 1
	case db == "":
		return -1
	}
	da, db = strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
	if len(da) != len(db) {
		if len(da) < len(db) {
			return -1
		}
		return 1
	}
	return strings.Compare(da, db)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

func relate(c int, rel string) bool {
	switch rel {
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	}
	return false
}

type globTok struct {
	kind byte // 'c' literal, '?', '*'
	c    byte
}

// globMatch matches v against a :matches pattern ('*', '?', '\' escapes,
// RFC 5228 §2.7.1). The comparators it serves, i;octet and
// i;ascii-casemap, work on octets (RFC 4790 §9.2, §9.3), so '?' is one
// octet, as in Pigeonhole. Each wildcard takes as few octets as it can,
// the match variables being the text each wildcard took (RFC 5229 §3.2).
func globMatch(v, pat string, fold bool) ([]string, bool, error) {
	var toks []globTok
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; {
		case c == '\\' && i+1 < len(pat):
			i++
			toks = append(toks, globTok{'c', pat[i]})
		case c == '*' || c == '?':
			toks = append(toks, globTok{c, 0})
		default:
			toks = append(toks, globTok{'c', c})
		}
	}
	vr := v
	caps := make([][2]int, 0, 9)
	// failed remembers (token, position) pairs known not to match, which
	// keeps the search polynomial.
	failed := map[[2]int]bool{}
	work := 0
	var try func(ti, vi int) bool
	try = func(ti, vi int) bool {
		if work++; work > maxGlobWork {
			return false
		}
		if ti == len(toks) {
			return vi == len(vr)
		}
		if failed[[2]int{ti, vi}] {
			return false
		}
		t := toks[ti]
		switch t.kind {
		case 'c':
			if vi < len(vr) && (vr[vi] == t.c || fold && lowerByte(vr[vi]) == lowerByte(t.c)) && try(ti+1, vi+1) {
				return true
			}
		case '?':
			if vi < len(vr) {
				caps = append(caps, [2]int{vi, vi + 1})
				if try(ti+1, vi+1) {
					return true
				}
				caps = caps[:len(caps)-1]
			}
		case '*':
			for end := vi; end <= len(vr); end++ {
				caps = append(caps, [2]int{vi, end})
				if try(ti+1, end) {
					return true
				}
				caps = caps[:len(caps)-1]
			}
		}
		failed[[2]int{ti, vi}] = true
		return false
	}
	if len(toks) > maxGlobTokens {
		return nil, false, errors.New(":matches pattern too long")
	}
	ok := try(0, 0)
	if work > maxGlobWork {
		return nil, false, errors.New(":matches pattern too costly for the value")
	}
	if !ok {
		return nil, false, nil
	}
	out := []string{v}
	for _, c := range caps {
		out = append(out, vr[c[0]:c[1]])
	}
	return out, true, nil
}

// Bounds on one :matches comparison: the pattern's length (the search
// recurses once per token) and the work of the search.
const (
	maxGlobTokens = 4096
	maxGlobWork   = 1 << 20
)

// decodeHeader decodes RFC 2047 encoded words and trims the value.
func decodeHeader(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	d := mime.WordDecoder{}
	if s, err := d.DecodeHeader(v); err == nil {
		return s
	}
	return v
}

// addressParts parses a header value as an address list and returns the
// part asked for of each address (RFC 5228 §2.7.4, RFC 5233 §4).
func addressParts(v, part string) []string {
	list, err := mail.ParseAddressList(v)
	var addrs []string
	if err == nil {
		for _, a := range list {
			addrs = append(addrs, a.Address)
		}
	} else if a := strings.TrimSpace(v); a != "" {
		addrs = []string{strings.Trim(a, "<>")}
	}
	var out []string
	for _, a := range addrs {
		local, domain := a, ""
		if i := strings.LastIndexByte(a, '@'); i >= 0 {
			local, domain = a[:i], a[i+1:]
		}
		switch part {
		case "all":
			out = append(out, a)
		case "localpart":
			out = append(out, local)
		case "domain":
			out = append(out, domain)
		case "user":
			if i := strings.IndexByte(local, '+'); i >= 0 {
				local = local[:i]
			}
			out = append(out, local)
		case "detail":
			if i := strings.IndexByte(local, '+'); i >= 0 {
				out = append(out, local[i+1:])
			}
		}
	}
	return out
}
