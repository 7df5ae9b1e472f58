package dnsr

import (
	"context"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// maxPTR bounds the PTR names checked by ReverseName.
const maxPTR = 3

// ReverseName returns the forward-confirmed reverse DNS name of ip: a PTR
// name (of the first three) whose address records include ip, without the
// trailing dot; "" when there is none or the lookups fail. The caller
// bounds the time with ctx.
func ReverseName(ctx context.Context, r Resolver, ip netip.Addr) string {
	ip = ip.Unmap()
	names, err := r.LookupAddr(ctx, ip)
	if err != nil {
		return ""
	}
	for i, name := range names {
		if i == maxPTR {
			break
		}
		addrs, err := r.LookupIP(ctx, name)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == ip {
				return strings.TrimSuffix(name, ".")
			}
		}
	}
	return ""
}

// ArpaName returns the name under which the PTR record of ip lives, with
// the trailing dot: "10.2.0.192.in-addr.arpa." (RFC 1035 §3.5) or the
// nibbles under "ip6.arpa." (RFC 3596 §2.5); "" for the zero Addr.
func ArpaName(ip netip.Addr) string {
	name, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return ""
	}
	return name
}
