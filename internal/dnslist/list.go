package dnslist

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// List is one DNS list zone (RFC 5782), a blocklist (DNSBL) or an
// allowlist (DNSWL), with the answers that count as "listed" and, for a
// blocklist, its weight. Its text form is postscreen's:
//
//	zone[=pattern][*weight]
//
// where pattern is a dotted quad whose octets are numbers or ranges
// "[lo..hi]" ("zen.example=127.0.0.[2..11]*2"). Without a pattern any
// answer in 127.0.0.0/8 counts except 127.255.255.0/24, which lists use
// to report errors (a query through a public resolver, over a quota) and
// not a listing. The weight defaults to 1.
type List struct {
	Zone    string
	Weight  int
	pattern [4][2]uint8 // per octet: lo, hi; used when hasPat
	hasPat  bool
}

// Parse reads a list spec; weighted says whether "*weight" is
// allowed (blocklists).
func Parse(spec string, weighted bool) (List, error) {
	l := List{Weight: 1}
	rest := spec
	if i := strings.LastIndexByte(rest, '*'); i >= 0 {
		if !weighted {
			return List{}, errors.New("an allowlist has no weight")
		}
		w, err := strconv.Atoi(rest[i+1:])
		if err != nil || w < 1 || w > 1000 {
			return List{}, fmt.Errorf("weight %q: want a whole number from 1 to 1000", rest[i+1:])
		}
		l.Weight, rest = w, rest[:i]
	}
	zone, pat, hasPat := strings.Cut(rest, "=")
	l.Zone = strings.TrimSuffix(strings.ToLower(zone), ".")
	if !validZone(l.Zone) {
		return List{}, fmt.Errorf("zone %q is not a domain name", zone)
	}
	if hasPat {
		p, err := parsePattern(pat)
		if err != nil {
			return List{}, err
		}
		l.pattern, l.hasPat = p, true
	}
	return l, nil
}

// parsePattern reads "a.b.c.d" where each octet is N or [lo..hi].
func parsePattern(s string) ([4][2]uint8, error) {
	var p [4][2]uint8
	parts := splitOctets(s)
	if len(parts) != 4 {
		return p, fmt.Errorf("pattern %q: want four octets such as 127.0.0.2 or 127.0.0.[2..11]", s)
	}
	for i, o := range parts {
		lo, hi, isRange := o, o, false
		if inner, ok := strings.CutPrefix(o, "["); ok && strings.HasSuffix(inner, "]") {
			lo, hi, isRange = strings.Cut(strings.TrimSuffix(inner, "]"), "..")
		}
		a, err1 := strconv.ParseUint(lo, 10, 8)
		b, err2 := strconv.ParseUint(hi, 10, 8)
		if err1 != nil || err2 != nil || a > b || (strings.HasPrefix(o, "[") && !isRange) {
			return p, fmt.Errorf("pattern %q: octet %q is not a number or [lo..hi] from 0 to 255", s, o)
		}
		p[i] = [2]uint8{uint8(a), uint8(b)}
	}
	return p, nil
}

// splitOctets splits a pattern at the dots outside brackets.
func splitOctets(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func validZone(z string) bool {
	if z == "" || len(z) > 200 || strings.HasPrefix(z, ".") || strings.Contains(z, "..") {
		return false
	}
	for i := 0; i < len(z); i++ {
		c := z[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// errorNet holds the answers lists give for errors, not listings
// (127.255.255.252 to .255 at Spamhaus).
var errorNet = netip.MustParsePrefix("127.255.255.0/24")

// Matches reports whether an A record answered by the list means the
// client is listed. RFC 5782 §2.1: listings are in 127.0.0.0/8; anything
// else is not taken.
func (l List) Matches(a netip.Addr) bool {
	a = a.Unmap()
	if !a.Is4() || a.As4()[0] != 127 {
		return false
	}
	if !l.hasPat {
		return !errorNet.Contains(a)
	}
	b := a.As4()
	for i, r := range l.pattern {
		if b[i] < r[0] || b[i] > r[1] {
			return false
		}
	}
	return true
}

// String is the spec of l, in its normal form.
func (l List) String() string {
	var b strings.Builder
	b.WriteString(l.Zone)
	if l.hasPat {
		b.WriteByte('=')
		for i, r := range l.pattern {
			if i > 0 {
				b.WriteByte('.')
			}
			if r[0] == r[1] {
				b.WriteString(strconv.Itoa(int(r[0])))
			} else {
				fmt.Fprintf(&b, "[%d..%d]", r[0], r[1])
			}
		}
	}
	if l.Weight != 1 {
		fmt.Fprintf(&b, "*%d", l.Weight)
	}
	return b.String()
}

// QueryName is the name asked of zone for ip (RFC 5782 §2.1: the IPv4
// octets reversed; IPv6 as its 32 nibbles reversed, RFC 5782 §2), without the
// trailing dot.
func QueryName(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		o := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.", o[3], o[2], o[1], o[0])
	} else {
		const hex = "0123456789abcdef"
		o := ip.As16()
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[o[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[o[i]>>4])
			b.WriteByte('.')
		}
	}
	b.WriteString(zone)
	return b.String()
}
