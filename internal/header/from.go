package header

import (
	"io"
	"mime"
	"net/mail"
	"strings"
)

// Authors is what the From rule (package documentation) reads from a
// header.
type Authors struct {
	// Addresses are every address of every From field that parses as an
	// address list (RFC 5322 §3.6.2, RFC 6854 groups), in order.
	Addresses []*mail.Address
	// Fields is the number of From fields; RFC 5322 §3.6.2 wants one.
	// Invalid is how many of them do not parse as an address list.
	Fields, Invalid int
	// Unparsed are the domains written in the From fields that do not
	// parse as an address list (after each "@"), so that a malformed
	// field cannot hide a domain from DMARC (RFC 7489 §6.6.1).
	Unparsed []string
}

// From applies the From rule to the fields of a header.
func From(fields []Field) Authors {
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		// A charset Go does not know: keep the octets, so that a display
		// name never hides the address behind an error.
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	var a Authors
	for _, f := range fields {
		if !f.Is("From") {
			continue
		}
		a.Fields++
		v := f.Value()
		addrs, err := p.ParseList(v)
		if err != nil {
			a.Invalid++
			a.Unparsed = append(a.Unparsed, scanDomains(v)...)
			continue
		}
		a.Addresses = append(a.Addresses, addrs...)
	}
	return a
}

// FromSection applies the From rule to a header section (raw, and its
// fields from Read or Scan), counting also the malformed lines (Malformed)
// named like From once the octets outside ftext and white space are
// dropped ("From\x00", "Fr om"): each is a From field that does not parse,
// so that its domains are checked by DMARC (RFC 7489 §6.6.1) and a reader
// that shows it as the author cannot be fooled.
func FromSection(raw []byte, fields []Field) Authors {
	a := From(fields)
	for _, f := range Malformed(raw) {
		if !namedLikeFrom(f.Name) {
			continue
		}
		a.Fields++
		a.Invalid++
		a.Unparsed = append(a.Unparsed, scanDomains(f.Value())...)
	}
	return a
}

// namedLikeFrom reports whether name is "From" once the octets that are
// not ftext (RFC 5322 §3.6.8) are dropped.
func namedLikeFrom(name string) bool {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 33 && c <= 126 && c != ':' {
			b = append(b, c)
		}
	}
	return strings.EqualFold(string(b), "From")
}

// Readable reports whether there is at least one From field, all of them
// readable, with at least one address between them: what submission
// accepts (RFC 6409 §6.1 checks every address).
func (a Authors) Readable() bool {
	return a.Fields > 0 && a.Invalid == 0 && len(a.Addresses) > 0
}

// Domains returns the domain of every author, as written (the caller
// canonicalises), parsed ones first, then those of unparsed fields.
func (a Authors) Domains() []string {
	var out []string
	for _, addr := range a.Addresses {
		if at := strings.LastIndexByte(addr.Address, '@'); at >= 0 {
			out = append(out, addr.Address[at+1:])
		}
	}
	return append(out, a.Unparsed...)
}

// scanDomains finds the domains of a From field that does not parse: the
// text after each "@" up to a character that cannot be in a domain.
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
