package spfcheck

import (
	"net/netip"
	"strconv"
	"strings"
)

// syntaxError is an SPF record that does not follow the ABNF of RFC 7208
// §12; what is a short, stable description.
type syntaxError struct{ what string }

func (e *syntaxError) Error() string { return "SPF record syntax: " + e.what }

func bad(what string) error { return &syntaxError{what} }

// checkRecord checks a whole SPF record (one that starts with "v=spf1")
// against RFC 7208 §12:
//
//	record    = version terms *SP
//	terms     = *( 1*SP ( directive / modifier ) )
//	directive = [ qualifier ] mechanism
//	modifier  = redirect / explanation / unknown-modifier
//
// Only the text is checked; nothing is looked up.
func checkRecord(rec string) error {
	for i := range len(rec) {
		// RFC 7208 §12: terms are separated by SP and made of
		// macro-literal (%x21-24 / %x26-7E) and "%"; so 7-bit visible
		// ASCII only (§3: records are US-ASCII).
		if rec[i] < 0x20 || rec[i] > 0x7e {
			return bad("character outside printable ASCII")
		}
	}
	var redirects, exps int
	for _, term := range strings.Fields(rec[len("v=spf1"):]) {
		name, value, isMod := modifier(term)
		if !isMod {
			if err := checkDirective(term); err != nil {
				return err
			}
			continue
		}
		switch strings.ToLower(name) {
		case "redirect":
			redirects++
			if err := checkDomainSpec(value); err != nil {
				return err
			}
		case "exp":
			exps++
			if err := checkDomainSpec(value); err != nil {
				return err
			}
		default:
			if _, err := checkMacroString(value, allLetters); err != nil {
				return err
			}
		}
	}
	// RFC 7208 §6: redirect and exp appear at most once each.
	if redirects > 1 || exps > 1 {
		return bad("modifier repeated")
	}
	return nil
}

// modifier splits a term of the form name "=" macro-string, where
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 §12).
func modifier(term string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(term, "=")
	if !ok || name == "" || !isAlpha(name[0]) {
		return "", "", false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", "", false
		}
	}
	return name, value, true
}

// checkDirective checks [ qualifier ] mechanism (RFC 7208 §4.6.1, §5).
func checkDirective(term string) error {
	if strings.ContainsRune("+-?~", rune(term[0])) {
		term = term[1:]
	}
	end := strings.IndexAny(term, ":/")
	if end < 0 {
		end = len(term)
	}
	name, rest := strings.ToLower(term[:end]), term[end:]
	switch name {
	case "all":
		if rest != "" {
			return bad("all takes no argument")
		}
		return nil
	case "include", "exists":
		spec, ok := strings.CutPrefix(rest, ":")
		if !ok {
			return bad(name + " needs a domain")
		}
		return checkDomainSpec(spec)
	case "a", "mx":
		return checkTarget(rest, true)
	case "ptr":
		return checkTarget(rest, false)
	case "ip4", "ip6":
		return checkNetwork(name, rest)
	}
	return bad("unknown mechanism")
}

// checkTarget checks [ ":" domain-spec ] [ dual-cidr-length ] (RFC 7208
// §5.3, §5.4; ptr takes no prefix length, §5.5). As in the library, the
// domain-spec ends at the first "/".
func checkTarget(rest string, cidr bool) error {
	if after, ok := strings.CutPrefix(rest, ":"); ok {
		spec := after
		rest = ""
		if i := strings.IndexByte(after, '/'); i >= 0 {
			spec, rest = after[:i], after[i:]
		}
		if err := checkDomainSpec(spec); err != nil {
			return err
		}
	}
	switch {
	case rest == "":
		return nil
	case !cidr:
		return bad("ptr takes no prefix length")
	}
	// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
	if v6, ok := strings.CutPrefix(rest, "//"); ok {
		return checkPrefixLen(v6, 128)
	}
	v4, v6, both := strings.Cut(rest[1:], "//")
	if err := checkPrefixLen(v4, 32); err != nil {
		return err
	}
	if both {
		return checkPrefixLen(v6, 128)
	}
	return nil
}

// checkNetwork checks ip4 ":" ip4-network [ ip4-cidr-length ] and
// ip6 ":" ip6-network [ ip6-cidr-length ] (RFC 7208 §5.6).
func checkNetwork(name, rest string) error {
	network, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return bad(name + " needs an address")
	}
	addr, plen, hasLen := strings.Cut(network, "/")
	ip, err := netip.ParseAddr(addr) // no leading zeros: qnum
	maxLen := 32
	if name == "ip6" {
		maxLen = 128
	}
	v6 := strings.Contains(addr, ":")
	if err != nil || ip.Zone() != "" || v6 != (name == "ip6") {
		return bad("invalid " + name + " address")
	}
	if hasLen {
		return checkPrefixLen(plen, maxLen)
	}
	return nil
}

// checkPrefixLen checks "0" / %x31-39 0*nDIGIT, at most maxLen.
func checkPrefixLen(s string, maxLen int) error {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' || (s[0] == '0' && s != "0") || n > maxLen {
		return bad("invalid prefix length")
	}
	return nil
}

// Macro letters (RFC 7208 §7.2); c, r and t only in explanation text.
const (
	allLetters    = "slodiphcrtv"
	domainLetters = "slodiphv"
)

// checkDomainSpec checks domain-spec = macro-string domain-end, where
// domain-end = ( "." toplabel [ "." ] ) / macro-expand (RFC 7208 §12).
func checkDomainSpec(spec string) error {
	if spec == "" {
		return bad("empty domain-spec")
	}
	tail, err := checkMacroString(spec, domainLetters)
	if err != nil || tail == "" {
		return err // "" : ends with a macro-expand
	}
	t := strings.TrimSuffix(tail, ".")
	i := strings.LastIndexByte(t, '.')
	if i < 0 || !isTopLabel(t[i+1:]) {
		return bad("domain-spec does not end in a valid top label")
	}
	return nil
}

// isTopLabel reports toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ): not all digits.
func isTopLabel(l string) bool {
	alpha := false
	for i := range len(l) {
		switch c := l[i]; {
		case isAlpha(c):
			alpha = true
		case isDigit(c), c == '-':
		default:
			return false
		}
	}
	if strings.Contains(l, "-") {
		return l[0] != '-' && l[len(l)-1] != '-'
	}
	return alpha
}

// checkMacroString checks macro-string = *( macro-expand / macro-literal )
// and returns the literal text after its last macro-expand ("" when it
// ends with one).
//
//	macro-expand  = ( "%{" macro-letter transformers *delimiter "}" )
//	                / "%%" / "%_" / "%-"
//	macro-literal = %x21-24 / %x26-7E
func checkMacroString(s, letters string) (string, error) {
	last := 0
	for i := 0; i < len(s); {
		if s[i] != '%' {
			if s[i] < 0x21 || s[i] > 0x7e {
				return "", bad("invalid character")
			}
			i++
			continue
		}
		if i+1 == len(s) {
			return "", bad("lone %")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i += 2
		case '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return "", bad("unterminated macro")
			}
			if err := checkMacro(s[i+2:i+j], letters); err != nil {
				return "", err
			}
			i += j + 1
		default:
			return "", bad("invalid macro")
		}
		last = i
	}
	return s[last:], nil
}

// checkMacro checks macro-letter transformers *delimiter, where
// transformers = *DIGIT [ "r" ] and the DIGITs are nonzero (RFC 7208
// §7.1, §7.3).
func checkMacro(body, letters string) error {
	if body == "" || !strings.ContainsRune(letters, rune(lower(body[0]))) {
		return bad("invalid macro letter")
	}
	i := 1
	for i < len(body) && isDigit(body[i]) {
		i++
	}
	if digits := body[1:i]; digits != "" && strings.Trim(digits, "0") == "" {
		return bad("macro keeps zero parts")
	}
	if i < len(body) && lower(body[i]) == 'r' {
		i++
	}
	if strings.Trim(body[i:], ".-+,/_=") != "" {
		return bad("invalid macro delimiter")
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= lower(c) && lower(c) <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
