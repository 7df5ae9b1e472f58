package mtasts

import (
	"errors"
	"fmt"
	"strings"
)

// Record is the "_mta-sts" TXT record of a domain (RFC 8461 §3.1).
type Record struct {
	ID string // 1 to 32 letters and digits; a new id means a new policy
}

// errNoRecord: none of the TXT records is an MTA-STS record.
var errNoRecord = errors.New("no MTA-STS record")

// ParseRecord parses an MTA-STS TXT record (RFC 8461 §3.1):
// "v=STSv1; id=...;" with fields separated by ";" and optional white
// space, v first, id exactly once, extension fields ignored.
func ParseRecord(txt string) (Record, error) {
	fields := strings.Split(txt, ";")
	// A final ";" is allowed ([sts-field-delim]).
	if n := len(fields); n > 1 && strings.Trim(fields[n-1], " \t") == "" {
		fields = fields[:n-1]
	}
	if strings.TrimRight(fields[0], " \t") != "v=STSv1" {
		return Record{}, fmt.Errorf("record does not start with v=STSv1")
	}
	var rec Record
	for _, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		name, value, ok := strings.Cut(f, "=")
		if !ok || !validExtName(name) {
			return Record{}, fmt.Errorf("field %q is not name=value", f)
		}
		switch name {
		case "id":
			if rec.ID != "" {
				return Record{}, fmt.Errorf("id given twice")
			}
			if !validID(value) {
				return Record{}, fmt.Errorf("id %q is not 1 to 32 letters and digits", value)
			}
			rec.ID = value
		case "v":
			return Record{}, fmt.Errorf("v given twice")
		default:
			// sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
			if !validExtValue(value) {
				return Record{}, fmt.Errorf("field %s has an invalid value", name)
			}
		}
	}
	if rec.ID == "" {
		return Record{}, fmt.Errorf("no id")
	}
	return rec, nil
}

// FindRecord picks the MTA-STS record among the TXT records of
// "_mta-sts.DOMAIN" (RFC 8461 §3.1): those that do not start with
// "v=STSv1" (and then ";" or white space) are discarded; if not exactly one is left, or it is not valid,
// the domain has no available policy (errNoRecord, or the parse error).
func FindRecord(txts []string) (Record, error) {
	var found []string
	for _, t := range txts {
		if rest, ok := strings.CutPrefix(t, "v=STSv1"); ok && (rest == "" || strings.ContainsRune(" \t;", rune(rest[0]))) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return Record{}, errNoRecord
	case 1:
		return ParseRecord(found[0])
	}
	return Record{}, fmt.Errorf("%d MTA-STS records, want one", len(found))
}

// validID: 1*32(ALPHA / DIGIT) (sts-id, RFC 8461 §3.1).
func validID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validExtValue: 1*(%x21-3A / %x3C / %x3E-7E), visible characters but ";"
// and "=" (sts-ext-value, RFC 8461 §3.1).
func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}
