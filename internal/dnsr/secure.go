package dnsr

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"

	"github.com/miekg/dns"
)

// DNSSEC-aware lookups for DANE (RFC 7672 §2.1). A lookup is "secure"
// when the recursive server set the AD bit in its answer (RFC 4035
// §3.2.3, RFC 6840 §5.7/§5.8): it validated the records, or the denial
// that there are any. The bit proves nothing about the path from the
// server, so it is believed only when the operator says the servers
// validate and are trusted (Config.DNSSEC: a validating resolver on the
// loopback, as Postfix's smtp_dns_support_level = dnssec; README
// "DANE"); without it every answer is insecure. Even then, only the AD
// bit of a server on a loopback address is believed: on any other path
// the bit could have been set by whoever sits on it (RFC 4035
// §4.9.3).

// TLSA is one TLSA record (RFC 6698 §2.1): certificate usage, selector,
// matching type and the certificate association data.
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// String is the record's presentation form, "3 1 1 <hex>" (RFC 6698
// §2.2).
func (t TLSA) String() string {
	return strconv.Itoa(int(t.Usage)) + " " + strconv.Itoa(int(t.Selector)) + " " +
		strconv.Itoa(int(t.MatchingType)) + " " + hex.EncodeToString(t.Data)
}

// DNSSEC reports whether the client believes the AD bit (Config.DNSSEC).
func (c *Client) DNSSEC() bool { return c.dnssec }

// LookupMXSecure is LookupMX that also says whether the answer was
// validated; with an error, whether the denial was (a secure NODATA says
// the domain has no MX records, the implicit MX of RFC 5321 §5.1).
func (c *Client) LookupMXSecure(ctx context.Context, domain string) ([]*net.MX, bool, error) {
	rrs, secure, err := c.lookupSecure(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, secure, err
	}
	return mxsOf(rrs), secure, nil
}

// LookupTLSA returns the TLSA records of the service at port over TCP on
// host: "_25._tcp.mx.example.org." (RFC 6698 §3, RFC 7672 §2.2.2), and
// whether the answer was validated. A record whose data is not hex is
// left out (it would be unusable, RFC 7672 §3.1.3).
func (c *Client) LookupTLSA(ctx context.Context, port int, host string) ([]TLSA, bool, error) {
	rrs, secure, err := c.lookupSecure(ctx, "_"+strconv.Itoa(port)+"._tcp."+host, dns.TypeTLSA)
	if err != nil {
		return nil, secure, err
	}
	out := make([]TLSA, 0, len(rrs))
	for _, rr := range rrs {
		r := rr.(*dns.TLSA)
		data, err := hex.DecodeString(r.Certificate)
		if err != nil {
			continue
		}
		out = append(out, TLSA{Usage: r.Usage, Selector: r.Selector, MatchingType: r.MatchingType, Data: data})
	}
	return out, secure, nil
}

// loopback reports whether server ("host:port") is on a loopback address.
func loopback(server string) bool {
	ap, err := netip.ParseAddrPort(server)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
