package mbox

import (
	"bytes"
	"strings"
)

// takeStatus removes the Status, X-Status and X-Keywords fields from the
// header section of body and returns their flag letters (doc of
// Message.Flags) and keywords.
func takeStatus(body []byte) (out []byte, flags string, keywords []string) {
	var kept bytes.Buffer
	rest := body
	dropping := "" // the field being removed, with its continuation lines
	seen := map[byte]bool{}
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i+1]
		}
		trim := bytes.TrimRight(line, "\r\n")
		if len(trim) == 0 { // the end of the header section
			break
		}
		if trim[0] == ' ' || trim[0] == '\t' { // a continuation line
			switch dropping {
			case "":
				kept.Write(line)
			case "x-keywords":
				keywords = append(keywords, fieldWords(string(trim))...)
			}
			rest = rest[len(line):]
			continue
		}
		name, value, ok := strings.Cut(string(trim), ":")
		dropping = ""
		if ok {
			switch field := strings.ToLower(strings.TrimSpace(name)); field {
			case "status", "x-status":
				dropping = field
				for _, c := range []byte(strings.TrimSpace(value)) {
					if strings.IndexByte("RAFTD", c) >= 0 && !seen[c] {
						seen[c] = true
						flags += string(c)
					}
				}
			case "x-keywords":
				dropping = field
				keywords = append(keywords, fieldWords(value)...)
			}
		}
		if dropping == "" {
			kept.Write(line)
		}
		rest = rest[len(line):]
	}
	if kept.Len() == len(body)-len(rest) {
		return body, flags, keywords // nothing removed
	}
	kept.Write(rest)
	return kept.Bytes(), flags, keywords
}

// fieldWords splits an X-Keywords value (keywords separated by commas or
// white space).
func fieldWords(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}
