package smtpclient

import (
	"context"
	"net"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// secureResolver is what DANE needs of the resolver (dnsr.Client is one):
// lookups that say whether the answer was DNSSEC-validated, and TLSA
// records (RFC 7672 §2.1). A resolver without it, or whose DNSSEC() is
// false (dns.dnssec off), never makes DANE apply.
type secureResolver interface {
	DNSSEC() bool
	LookupMXSecure(ctx context.Context, domain string) ([]*net.MX, bool, error)
	LookupIPSecure(ctx context.Context, host string) ([]netip.Addr, bool, error)
	LookupTLSA(ctx context.Context, port int, host string) ([]dnsr.TLSA, bool, error)
}

// lookupMX returns the MX records of domain and whether the answer, or
// the denial that there are any, was secure.
func (c *Client) lookupMX(ctx context.Context, domain string) ([]*net.MX, bool, error) {
	if c.sec != nil {
		return c.sec.LookupMXSecure(ctx, domain)
	}
	mxs, err := c.dns.LookupMX(ctx, domain)
	return mxs, false, err
}

// lookupIP returns the addresses of host and whether they were secure.
func (c *Client) lookupIP(ctx context.Context, host string) ([]netip.Addr, bool, error) {
	if c.sec != nil {
		return c.sec.LookupIPSecure(ctx, host)
	}
	addrs, err := c.dns.LookupIP(ctx, host)
	return addrs, false, err
}
