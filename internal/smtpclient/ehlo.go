package smtpclient

import (
	"strconv"
	"strings"
)

// extensions are the EHLO keywords of a server (RFC 5321 §4.1.1.1), upper
// case, with their parameters.
type extensions map[string]string

// parseEHLO reads the lines after the first of an EHLO reply.
func parseEHLO(text string) extensions {
	ext := extensions{}
	lines := strings.Split(text, "\n")
	for _, l := range lines[1:] {
		kw, param, _ := strings.Cut(strings.TrimSpace(l), " ")
		if kw != "" {
			ext[strings.ToUpper(kw)] = param
		}
	}
	return ext
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
