package msgauth

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// field is one header field of the message as it arrived.
type field struct {
	name  string // the text before the colon, trimmed
	value []byte // after the colon, continuation lines and line ends included
	start int64  // offset of the field's first octet in the message
	end   int64  // offset just past its last line end
}

// readHeader reads the header section of a message (RFC 5322 §2.2) from
// br: every octet up to and including the empty line that ends it, and
// its fields. A line that starts with white space continues the field
// before it (§2.2.3); any other line starts a field, named by the text
// before its colon. The error is a read error other than io.EOF.
func readHeader(br *bufio.Reader) ([]byte, []field, error) {
	var raw []byte
	var fields []field
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		if len(line) == 0 || string(line) == "\r\n" || string(line) == "\n" {
			return append(raw, line...), fields, nil
		}
		start := int64(len(raw))
		raw = append(raw, line...)
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			f := &fields[len(fields)-1]
			f.value = append(f.value, line...)
			f.end = int64(len(raw))
		} else {
			name, value, _ := bytes.Cut(line, []byte(":"))
			fields = append(fields, field{name: strings.TrimSpace(string(name)),
				value: bytes.Clone(value), start: start, end: int64(len(raw))})
		}
		if err != nil { // io.EOF: a header without a body
			return raw, fields, nil
		}
	}
}

// fromDomains returns the domains of every address of every From field
// (RFC 5322 §3.6.2 allows one field; a message with two is checked for
// both, so that a second one cannot hide a failing domain). Each domain
// is in canonical form when it has one, else as written (internal/dmarc
// then reports it invalid). Encoded words in charsets Go does not know
// are kept as they are, so that a display name never hides an address;
// a field that does not parse as an address list is scanned for "@"
// domains instead.
func fromDomains(fields []field) []string {
	var out []string
	for _, f := range fields {
		if !strings.EqualFold(f.name, "From") {
			continue
		}
		for _, d := range addressDomains(unfold(f.value)) {
			if c, err := mailaddr.CanonicalDomain(d); err == nil {
				d = c
			}
			out = append(out, d)
		}
	}
	return out
}

// addressDomains returns the domain of each address in an address list.
func addressDomains(list string) []string {
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	var out []string
	if addrs, err := p.ParseList(list); err == nil {
		for _, a := range addrs {
			if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
				out = append(out, a.Address[at+1:])
			}
		}
		return out
	}
	return scanDomains(list)
}

// scanDomains finds the domains of a From field that net/mail cannot
// parse: the text after each "@" up to a character that cannot be in a
// domain.
func scanDomains(s string) []string {
	var out []string
	for {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			return out
		}
		s = s[at+1:]
		end := strings.IndexFunc(s, func(r rune) bool {
			return r == '>' || r == ',' || r == ';' || r == '(' || r == ')' || r == '"' || r == '<' ||
				r == '@' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
		})
		if end < 0 {
			end = len(s)
		}
		if d := strings.Trim(s[:end], "[]."); d != "" {
			out = append(out, d)
		}
		s = s[end:]
	}
}

// unfold removes the line ends of a field value (RFC 5322 §2.2.3) and
// trims white space around it.
func unfold(v []byte) string {
	s := strings.ReplaceAll(string(v), "\r\n", "")
	s = strings.ReplaceAll(s, "\n", "")
	return strings.TrimSpace(s)
}
