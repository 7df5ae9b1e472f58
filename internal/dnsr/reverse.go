package dnsr

import (
	"context"
	"net/netip"
	"strings"
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
