package main

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"
)

// newResolver is the DNS resolver of the server: the system's, or the
// servers of dns.servers (tried in order) when that is set. (The dnsr
// package of DESIGN.md §1 takes this over with the outbound issue.)
func newResolver(servers []string) *net.Resolver {
	if len(servers) == 0 {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		var err error
		for _, s := range servers {
			var c net.Conn
			if c, err = d.DialContext(ctx, network, s); err == nil {
				return c, nil
			}
		}
		return nil, err
	}}
}

// reverseName returns the forward-confirmed reverse DNS name of an address
// (a PTR name whose A/AAAA records include the address), or "" — within 3
// seconds, so a slow resolver cannot hold a session up for long.
func reverseName(r *net.Resolver) func(ctx context.Context, ip netip.Addr) string {
	return func(ctx context.Context, ip netip.Addr) string {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		names, err := r.LookupAddr(ctx, ip.String())
		if err != nil {
			return ""
		}
		for i, name := range names {
			if i == 3 {
				break
			}
			addrs, err := r.LookupNetIP(ctx, "ip", name)
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if a.Unmap() == ip.Unmap() {
					return strings.TrimSuffix(name, ".")
				}
			}
		}
		return ""
	}
}
