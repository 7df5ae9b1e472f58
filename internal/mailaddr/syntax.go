package mailaddr

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// isAtext reports whether r is an atext character (RFC 5322 §3.2.3, used by
// RFC 5321 §4.1.2), extended with UTF8-non-ascii by RFC 6531 §3.3.
func isAtext(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	case r < utf8.RuneSelf:
		return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
	}
	return isUTF8NonASCII(r)
}

// isUTF8NonASCII reports whether r may appear as UTF8-non-ascii
// (RFC 6531 §3.3) in an address: any valid non-ASCII character except the
// C1 controls.
func isUTF8NonASCII(r rune) bool {
	return r >= utf8.RuneSelf && r != utf8.RuneError && !unicode.IsControl(r)
}

// isDotString reports whether s is a Dot-string (RFC 5321 §4.1.2:
// Dot-string = Atom *("." Atom), Atom = 1*atext).
func isDotString(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if !isAtext(r) {
				return false
			}
		}
	}
	return true
}

// checkQcontent checks that every character of a local part's content can
// be written in a Quoted-string: qtextSMTP, the characters of
// quoted-pairSMTP (RFC 5321 §4.1.2) and UTF8-non-ascii (RFC 6531 §3.3).
func checkQcontent(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("local part is not valid UTF-8")
	}
	for _, r := range s {
		if (r < ' ' || r > '~') && !isUTF8NonASCII(r) {
			return fmt.Errorf("local part contains the control character %U", r)
		}
	}
	return nil
}

// unquote reads the Quoted-string at the start of s (RFC 5321 §4.1.2:
// Quoted-string = DQUOTE *QcontentSMTP DQUOTE) and returns its content and
// the rest of s.
func unquote(s string) (content, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\':
			// quoted-pairSMTP = %d92 %d32-126
			if i+1 >= len(s) || s[i+1] < ' ' || s[i+1] > '~' {
				return "", "", errors.New("invalid backslash escape in quoted local part")
			}
			b.WriteByte(s[i+1])
			i += 2
		case c >= ' ' && c <= '~':
			// qtextSMTP = %d32-33 / %d35-91 / %d93-126
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isUTF8NonASCII(r) {
				return "", "", errors.New("invalid character in quoted local part")
			}
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return "", "", errors.New("unterminated quoted local part")
}

// quoteLocal writes a local part's content as a Dot-string when it is one,
// and as a Quoted-string otherwise (RFC 5321 §4.1.2), escaping only
// DQUOTE and backslash.
func quoteLocal(local string) string {
	if isDotString(local) {
		return local
	}
	var b strings.Builder
	b.Grow(len(local) + 2)
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if c := local[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	return b.String()
}

// canonicalLiteral checks an address literal (RFC 5321 §4.1.3) and returns
// it in canonical form: "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func canonicalLiteral(lit string) (string, error) {
	inner, ok := strings.CutPrefix(lit, "[")
	if ok {
		inner, ok = strings.CutSuffix(inner, "]")
	}
	if !ok {
		return "", errors.New("address literal is not in brackets")
	}
	// IPv6-address-literal = "IPv6:" IPv6-addr; the tag is case-insensitive.
	if len(inner) >= 5 && strings.EqualFold(inner[:5], "IPv6:") {
		ip, err := netip.ParseAddr(inner[5:])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", fmt.Errorf("invalid IPv6 address literal %q", lit)
		}
		return "[IPv6:" + ip.String() + "]", nil
	}
	if strings.Contains(inner, ":") {
		// General-address-literal: no other tag is standardised.
		return "", fmt.Errorf("unsupported address literal %q", lit)
	}
	ip, err := netip.ParseAddr(inner)
	if err != nil || !ip.Is4() {
		return "", fmt.Errorf("invalid IPv4 address literal %q", lit)
	}
	return "[" + ip.String() + "]", nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
