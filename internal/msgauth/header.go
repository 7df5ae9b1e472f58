package msgauth

import (
	"bufio"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// readHeader reads the header section of a message as it arrived: every
// octet up to and including the empty line that ends it, and its fields,
// read the one way of package header (RFC 5322 §2.2). The error is a read
// error other than io.EOF, or header.ErrTooLarge for a section that does
// not end within header.MaxSection (Check refuses the message: DMARC
// would not see a From field past the limit).
func readHeader(br *bufio.Reader) ([]byte, []header.Field, error) {
	return header.Read(br, header.MaxSection)
}

// fromDomains returns the domains of the authors by the From rule of
// package header: every address of every From field (RFC 5322 §3.6.2
// allows one field; a message with two is checked for both, so that a
// second one cannot hide a failing domain, RFC 7489 §6.6.1), and the
// domains written in a field that does not parse. Each domain is in
// canonical form when it has one, else as written (internal/dmarc then
// reports it invalid). A malformed line named like From counts as a From
// field that does not parse (header.FromSection).
func fromDomains(raw []byte, fields []header.Field) []string {
	var out []string
	for _, d := range header.FromSection(raw, fields).Domains() {
		if c, err := mailaddr.CanonicalDomain(d); err == nil {
			d = c
		}
		out = append(out, d)
	}
	return out
}
