package dnsr

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// client is the Resolver speaking DNS with miekg/dns.
type client struct {
	servers []string
	timeout time.Duration
}

func newClient(servers []string, timeout time.Duration) *client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &client{servers: servers, timeout: timeout}
}

func (c *client) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	return nil, &Error{Kind: Temporary, Name: domain}
}

func (c *client) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	return nil, &Error{Kind: Temporary, Name: host}
}

func (c *client) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return nil, &Error{Kind: Temporary, Name: name}
}

func (c *client) LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error) {
	return nil, &Error{Kind: Temporary, Name: ip.String()}
}
