package dnsr

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Client is the Resolver speaking DNS with miekg/dns; it also answers SRV
// queries (LookupSRV).
type Client struct {
	servers []string // "host:port"; nil = those of /etc/resolv.conf
	timeout time.Duration
	cache   *cache // nil = every lookup asks
	dnssec  bool   // believe the AD bit (Config.DNSSEC)
}

// resolvConf is the system's resolver configuration.
const resolvConf = "/etc/resolv.conf"

func newClient(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	c := &Client{servers: slices.Clone(cfg.Servers), timeout: cfg.Timeout, dnssec: cfg.DNSSEC}
	if cfg.Cache {
		c.cache = newCache(cfg.CacheEntries, cfg.Now)
	}
	return c
}

// nameservers returns the servers to ask, read from /etc/resolv.conf at
// each query when none were configured (so an edited file takes effect);
// without a readable file, the local resolver (as the C library does).
func (c *Client) nameservers() []string {
	if len(c.servers) > 0 {
		return c.servers
	}
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(conf.Servers) == 0 {
		return []string{"127.0.0.1:53"}
	}
	out := make([]string, len(conf.Servers))
	for i, s := range conf.Servers {
		out[i] = net.JoinHostPort(s, conf.Port)
	}
	return out
}

func (c *Client) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	rrs, err := c.lookup(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	return mxsOf(rrs), nil
}

// mxsOf returns MX records sorted by preference (RFC 5321 §5.1).
func mxsOf(rrs []dns.RR) []*net.MX {
	out := make([]*net.MX, 0, len(rrs))
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
	}
	slices.SortStableFunc(out, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	return out
}

func (c *Client) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		// The strings of one record are one value (RFC 7208 §3.3).
		var v strings.Builder
		for _, part := range rr.(*dns.TXT).Txt {
			v.WriteString(unescapeTXT(part))
		}
		out = append(out, v.String())
	}
	return out, nil
}

func (c *Client) LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error) {
	name, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return nil, &Error{Kind: NXDomain, Name: ip.String(), Type: "PTR", Err: err}
	}
	rrs, err := c.lookup(ctx, name, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, rr.(*dns.PTR).Ptr)
	}
	return out, nil
}
