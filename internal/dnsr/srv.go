package dnsr

import (
	"cmp"
	"context"
	"net"
	"slices"

	"github.com/miekg/dns"
)

// LookupSRV returns the SRV records at name ("_imaps._tcp.example.org"),
// ordered by priority, then by weight, heaviest first (RFC 2782). A record
// whose target is "." says the service is not available at the domain
// (RFC 2782, "Target"); it is returned like any other.
func (c *Client) LookupSRV(ctx context.Context, name string) ([]*net.SRV, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	out := make([]*net.SRV, 0, len(rrs))
	for _, rr := range rrs {
		srv := rr.(*dns.SRV)
		out = append(out, &net.SRV{Target: srv.Target, Port: srv.Port, Priority: srv.Priority, Weight: srv.Weight})
	}
	slices.SortStableFunc(out, func(a, b *net.SRV) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(b.Weight, a.Weight))
	})
	return out, nil
}
