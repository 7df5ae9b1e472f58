// Package dnsplan works out the DNS records a domain publishes for this
// server (New, a Plan), renders them as zone-file text with comments for
// the operator (Plan.Lines, Render; RFC 1035 §5.1, TXT strings of at most
// 255 octets, §3.3.14), and compares them with what DNS says (Check). It is
// the logic of `petrel dns` and `petrel dns check`, called through
// internal/ops (docs/architecture.md §Operations).
//
// The records: MX (RFC 5321 §5.1), the host's A/AAAA, SPF of the domain and
// of the HELO name (RFC 7208), DKIM key records (RFC 6376 §3.6.1, RFC 8463),
// DMARC (RFC 7489), client SRV records (RFC 6186, RFC 8314 §5.1, RFC 2782),
// with listen.https on the names of client autoconfiguration
// (autoconfig.DOMAIN and autodiscover.DOMAIN CNAMEs, the _autodiscover._tcp
// SRV record),
// the MTA-STS record and policy host (RFC 8461 §3.1, §3.2; the check
// fetches the policy as senders do, §3.3), the TLS reporting record (RFC
// 8460 §3), the TLSA record of the MX host's key (DANE-EE SPKI SHA-256,
// RFC 7672 §3.1.1, RFC 6698) and PTR. The plan is data: the DKIM records
// and the certificate come from the caller (which reads the keys), the
// host's addresses from DNS and the listen addresses.
package dnsplan
