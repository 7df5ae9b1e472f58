package msgauth

import (
	"bufio"
	"testing"

	"github.com/petrelmail/petrel/internal/header/headertest"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// DMARC evaluates the domains the From rule of package header reads, on
// the tricky cases every reader of that rule is tested on: every domain
// of every From field, those of unparsable fields included, canonical
// where they can be and as written where not.
func TestFromDomainsAgree(t *testing.T) {
	headertest.CheckDomains(t, func(br *bufio.Reader) ([]string, error) {
		raw, fields, err := readHeader(br)
		return fromDomains(raw, fields), err
	}, func(d string) string {
		if c, err := mailaddr.CanonicalDomain(d); err == nil {
			return c
		}
		return d
	}, false)
}
