package dnsr

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"
)

// LookupA returns the A records of name alone: a DNS list (RFC 5782
// §2.1) answers with A records, so asking for AAAA as LookupIP does
// would double the queries for nothing.
func (c *Client) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeA)
	return ipsOf(rrs), err
}
