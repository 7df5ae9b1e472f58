package smtpd

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// param is one esmtp-param of MAIL or RCPT (RFC 5321 §4.1.2).
type param struct {
	key    string // upper case
	value  string
	hasVal bool
}

// parseParams splits Mail-parameters / Rcpt-parameters (RFC 5321 §4.1.2:
// esmtp-keyword ["=" esmtp-value], separated by spaces). Keywords are
// case-insensitive; a keyword given twice is an error.
func parseParams(s string) ([]param, bool) {
	var ps []param
	seen := map[string]bool{}
	for f := range strings.FieldsSeq(s) {
		k, v, hasVal := strings.Cut(f, "=")
		k = strings.ToUpper(k)
		if !validKeyword(k) || (hasVal && !validValue(v)) || seen[k] {
			return nil, false
		}
		seen[k] = true
		ps = append(ps, param{key: k, value: v, hasVal: hasVal})
	}
	return ps, true
}

// validKeyword: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func validKeyword(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		alnum := c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-') {
			return false
		}
	}
	return k != ""
}

// validValue: esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)
// (RFC 5321 §4.1.2, RFC 6531 §3.3).
func validValue(v string) bool {
	if v == "" || !utf8.ValidString(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 33 || c == '=' || c == 127 {
			return false
		}
	}
	return true
}

// mailParams applies the MAIL FROM parameters to env.
func (s *session) mailParams(env *envelope.Envelope, params string) *smtpreply.Reply {
	ps, ok := parseParams(params)
	if !ok {
		return s.bad(smtpreply.BadArguments("Bad MAIL parameters syntax"))
	}
	for _, p := range ps {
		if r := s.mailParam(env, p); r != nil {
			return r
		}
	}
	return nil
}

func (s *session) mailParam(env *envelope.Envelope, p param) *smtpreply.Reply {
	switch p.key {
	case "SIZE": // RFC 1870 §6
		n, ok := parseSize(p.value)
		if !ok {
			return s.bad(smtpreply.BadArguments("Bad SIZE value"))
		}
		if n > s.cfg.MaxMessageSize { // RFC 1870 §6.1: refuse early
			return smtpreply.MessageTooBig(s.cfg.MaxMessageSize)
		}
		env.Size = n
	case "BODY": // RFC 6152 §2
		v := strings.ToUpper(p.value)
		switch v {
		case "7BIT", "8BITMIME":
			env.Body = v
		case "BINARYMIME": // RFC 3030 §3: only when offered, and it is not
			return s.bad(smtpreply.ParamNotImplemented("BODY=BINARYMIME not supported"))
		default:
			return s.bad(smtpreply.BadArguments("Bad BODY value"))
		}
	case "SMTPUTF8": // RFC 6531 §3.4: no value
		if p.hasVal {
			return s.bad(smtpreply.BadArguments("SMTPUTF8 takes no value"))
		}
		env.SMTPUTF8 = true
	case "REQUIRETLS": // RFC 8689 §2: no value, only over TLS
		switch {
		case s.cfg.LMTP: // not offered
			return s.bad(smtpreply.ParamNotImplemented("Unsupported MAIL parameter REQUIRETLS"))
		case s.tls == nil:
			return s.bad(smtpreply.RequireTLSWithoutTLS())
		case p.hasVal:
			return s.bad(smtpreply.BadArguments("REQUIRETLS takes no value"))
		}
		env.RequireTLS = true
	case "RET": // RFC 3461 §4.3
		v := strings.ToUpper(p.value)
		if v != "FULL" && v != "HDRS" {
			return s.bad(smtpreply.BadArguments("Bad RET value"))
		}
		env.Ret = v
	case "ENVID": // RFC 3461 §4.4: xtext, printable ASCII, ≤ 100 characters
		id, err := decodeXtext(p.value)
		if err != nil || len(id) > 100 || !printableASCII(id) {
			return s.bad(smtpreply.BadArguments("Bad ENVID value"))
		}
		env.EnvID = id
	default: // RFC 5321 §4.1.1.11
		return s.bad(smtpreply.ParamNotImplemented("Unsupported MAIL parameter " + printable(p.key)))
	}
	return nil
}

// parseSize parses size-value = 1*20DIGIT (RFC 1870 §4); a value too
// large for int64 saturates.
func parseSize(v string) (int64, bool) {
	if v == "" || len(v) > 20 || strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 1<<63 - 1, true
	}
	return n, true
}

// rcptParams applies the RCPT TO parameters to rcpt.
func (s *session) rcptParams(rcpt *envelope.Recipient, params string) *smtpreply.Reply {
	ps, ok := parseParams(params)
	if !ok {
		return s.bad(smtpreply.BadArguments("Bad RCPT parameters syntax"))
	}
	for _, p := range ps {
		switch p.key {
		case "NOTIFY": // RFC 3461 §4.1
			n, ok := parseNotify(p.value)
			if !ok {
				return s.bad(smtpreply.BadArguments("Bad NOTIFY value"))
			}
			rcpt.Notify = n
		case "ORCPT": // RFC 3461 §4.2
			o, ok := parseORcpt(p.value)
			if !ok {
				return s.bad(smtpreply.BadArguments("Bad ORCPT value"))
			}
			rcpt.ORcpt = o
		default: // RFC 5321 §4.1.1.11
			return s.bad(smtpreply.ParamNotImplemented("Unsupported RCPT parameter " + printable(p.key)))
		}
	}
	return nil
}

// parseNotify: "NEVER" alone, or a list of SUCCESS, FAILURE, DELAY, each
// at most once (RFC 3461 §4.1).
func parseNotify(v string) ([]string, bool) {
	var out []string
	for w := range strings.SplitSeq(strings.ToUpper(v), ",") {
		switch w {
		case "NEVER", "SUCCESS", "FAILURE", "DELAY":
		default:
			return nil, false
		}
		for _, o := range out {
			if o == w || o == "NEVER" || w == "NEVER" {
				return nil, false
			}
		}
		out = append(out, w)
	}
	return out, true
}

// parseORcpt: addr-type ";" xtext (RFC 3461 §4.2), at most 500
// characters; returns "addr-type;decoded address".
func parseORcpt(v string) (string, bool) {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok || len(v) > 500 || !validKeyword(strings.ToUpper(typ)) || addr == "" {
		return "", false
	}
	dec, err := decodeXtext(addr)
	if err != nil {
		return "", false
	}
	return typ + ";" + dec, true
}

// decodeXtext decodes xtext (RFC 3461 §4): "+" and two hex digits stand
// for an octet; other characters are themselves (UTF-8 is let through for
// the utf-8 address type of RFC 6533). Decoded control characters are
// refused.
func decodeXtext(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '+' {
			b.WriteByte(c)
			continue
		}
		if i+3 > len(s) {
			return "", errors.New("truncated xtext")
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	out := b.String()
	for i := 0; i < len(out); i++ {
		if out[i] < 0x20 || out[i] == 0x7f {
			return "", errors.New("control character in xtext")
		}
	}
	if !utf8.ValidString(out) {
		return "", errors.New("invalid UTF-8 in xtext")
	}
	return out, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
