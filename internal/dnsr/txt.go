package dnsr

import "strings"

// unescapeTXT turns one character-string of a TXT record as miekg/dns
// holds it (presentation format, RFC 1035 §5.1: `\"`, `\\` and `\DDD`
// for octets that are not printable ASCII) back into its octets, which
// is what SPF, DKIM and DMARC parse (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); v <= 255 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
