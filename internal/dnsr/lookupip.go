package dnsr

import (
	"context"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// LookupIP asks for A and AAAA records at once. Addresses found for either
// type are returned even when the other lookup failed; otherwise the error
// says NXDOMAIN if either did, Temporary if either failed for now, else
// NoData. An IP address literal is returned as it is.
func (c *Client) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, _, err := c.LookupIPSecure(ctx, host)
	return addrs, err
}

// LookupIPSecure is LookupIP that also says whether the answers (A and
// AAAA, records or their absence) were validated (secure.go): one was
// and neither was insecure, a failed one aside; an IP address literal is
// not.
func (c *Client) LookupIPSecure(ctx context.Context, host string) ([]netip.Addr, bool, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip.Unmap()}, false, nil
	}
	type answer struct {
		rrs    []dns.RR
		secure bool
		err    error
	}
	ch := make(chan answer, 2)
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		go func() {
			rrs, secure, err := c.lookupSecure(ctx, host, t)
			ch <- answer{rrs, secure, err}
		}()
	}
	var addrs []netip.Addr
	var errs []error
	// Secure: one answer validated and none insecure. A failure (for a
	// validating resolver, also a bogus answer) makes neither: else an
	// attacker who spoils the AAAA answer would turn DANE off for a host
	// whose A records are signed (RFC 7672 §2.2 wants such attempts to
	// fail, not to downgrade).
	sawSecure, sawInsecure := false, false
	for range 2 {
		a := <-ch
		switch {
		case a.err != nil && IsTemporary(a.err):
		case a.secure:
			sawSecure = true
		default:
			sawInsecure = true
		}
		if a.err != nil {
			errs = append(errs, a.err)
		}
		addrs = append(addrs, ipsOf(a.rrs)...)
	}
	secure := sawSecure && !sawInsecure
	if len(addrs) > 0 {
		return addrs, secure, nil
	}
	return nil, secure, worst(errs)
}

// ipsOf returns the addresses of A and AAAA records.
func ipsOf(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		var ip netip.Addr
		var ok bool
		switch v := rr.(type) {
		case *dns.A:
			ip, ok = netip.AddrFromSlice(v.A.To4())
		case *dns.AAAA:
			ip, ok = netip.AddrFromSlice(v.AAAA.To16())
		}
		if ok {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

// worst picks the error that says most: NXDOMAIN, then Temporary, then
// NoData.
func worst(errs []error) error {
	rank := map[Kind]int{NXDomain: 3, Temporary: 2, NoData: 1}
	var best error
	for _, err := range errs {
		if best == nil || rank[KindOf(err)] > rank[KindOf(best)] {
			best = err
		}
	}
	return best
}
