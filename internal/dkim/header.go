package dkim

import (
	"bufio"
	"bytes"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// readHeader reads the header section of a message (RFC 5322 §2.2) from
// br the one way of package header, and returns it as go-msgauth wants
// it: up to the empty line, which becomes CRLF. A header that ends at the
// end of the input gets the missing line end and empty line added, as a
// message without a body has neither. The error is a read error other
// than io.EOF, or header.ErrTooLarge for a header section that does not
// end within header.MaxSection: the limit submission checks the From
// field within, so that the signer never signs for a From field the check
// did not see.
func readHeader(br *bufio.Reader) ([]byte, []header.Field, error) {
	raw, fields, err := header.Read(br, header.MaxSection)
	if err != nil {
		return nil, nil, err
	}
	return asSigned(raw), fields, nil
}

// asSigned is a header section read by header.Read as go-msgauth wants
// it (readHeader), in a new slice: raw is left as it is.
func asSigned(raw []byte) []byte {
	out := make([]byte, 0, len(raw)+4)
	if i := bytes.LastIndexByte(raw[:max(len(raw)-1, 0)], '\n') + 1; header.IsBlank(raw[i:]) {
		out = append(out, raw[:i]...)
	} else {
		out = append(out, raw...)
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			out = append(out, '\r', '\n')
		}
	}
	return append(out, "\r\n"...)
}

// fromDomains returns the domains of the authors by the From rule of
// package header (every address of every From field, RFC 5322 §3.6.2),
// canonical and without repeats, in order: DKIM signs for each, as DMARC
// checks each (RFC 7489 §6.6.1). Encoded words in unknown charsets are
// kept as they are, so that a display name never hides the address.
func fromDomains(fields []header.Field) []string {
	var out []string
	for _, d := range header.From(fields).Domains() {
		d, err := mailaddr.CanonicalDomain(d)
		if err == nil && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// tags splits a tag-list (RFC 6376 §3.2) into its tags, with white space
// removed from names and values; the first of repeated tags wins. It is
// lenient: it only reads what a result reports (d=, s=, a=, i=, b=), and
// go-msgauth's stricter parser decides what is valid.
func tags(value string) map[string]string {
	m := map[string]string{}
	for spec := range strings.SplitSeq(value, ";") {
		name, v, ok := strings.Cut(spec, "=")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if _, dup := m[name]; !dup {
			m[name] = stripSpace(v)
		}
	}
	return m
}

// stripSpace removes folding white space (RFC 6376 §3.2 allows it inside
// values such as b= and bh=).
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
