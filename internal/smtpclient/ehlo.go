package smtpclient

import (
	"strconv"
	"strings"
)

// extensions are the EHLO keywords of a server (RFC 5321 §4.1.1.1), upper
// case, with their parameters.
type extensions map[string]string

// parseEHLO reads the lines after the first of an EHLO reply. A line
// whose keyword is not an ehlo-keyword (RFC 5321 §4.1.1.1: ASCII letters,
// digits and "-") is ignored: upper-casing it by Unicode rules could turn
// it into one the server did not announce ("ſmtputf8" into SMTPUTF8).
func parseEHLO(text string) extensions {
	ext := extensions{}
	lines := strings.Split(text, "\n")
	for _, l := range lines[1:] {
		kw, param, _ := strings.Cut(strings.TrimSpace(l), " ")
		if kw, ok := ehloKeyword(kw); ok {
			ext[kw] = param
		}
	}
	return ext
}

// ehloKeyword returns s in upper case when it is an ehlo-keyword:
// ALPHA / DIGIT, then ALPHA / DIGIT / "-" (RFC 5321 §4.1.1.1; keywords
// are case-insensitive, §2.4).
func ehloKeyword(s string) (string, bool) {
	if s == "" || s[0] == '-' {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return "", false
		}
	}
	return string(b), true
}

func (e extensions) has(kw string) bool {
	_, ok := e[kw]
	return ok
}

// maxSize is the SIZE limit (RFC 1870 §4); 0 = none announced.
func (e extensions) maxSize() int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(e["SIZE"]), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// authPlain reports whether AUTH offers PLAIN (RFC 4954 §3).
func (e extensions) authPlain() bool {
	for _, m := range strings.Fields(e["AUTH"]) {
		if strings.EqualFold(m, "PLAIN") {
			return true
		}
	}
	return false
}
