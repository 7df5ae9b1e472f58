package dkim

import (
	"bufio"
	"testing"

	"github.com/petrelmail/petrel/internal/header/headertest"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// The signer signs for the domains the From rule of package header reads
// (the ones DMARC checks), canonical and once each, on the tricky cases
// every reader of that rule is tested on.
func TestFromDomainsAgree(t *testing.T) {
	headertest.CheckDomains(t, func(br *bufio.Reader) ([]string, error) {
		_, fields, err := readHeader(br)
		return fromDomains(fields), err
	}, func(d string) string {
		c, _ := mailaddr.CanonicalDomain(d)
		return c
	}, true)
}
