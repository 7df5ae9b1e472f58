// Package dnsr is Petrel's DNS resolver: MX, address, TXT and PTR lookups
// behind one interface, so that every lookup can be pointed at a local DNS
// server in tests (config dns.servers).
//
// Lookups go to the configured servers, or to the nameservers of
// /etc/resolv.conf, with github.com/miekg/dns (UDP, TCP when the answer is
// truncated, RFC 1035 §4.2), so that the failures mail routing must tell
// apart are kinds (Kind): the name does not exist (NXDOMAIN, RFC 1035
// §4.1.1 RCODE 3), it exists without records of the type asked for (NODATA,
// RFC 2308 §2.2), or the answer is not available now (SERVFAIL, timeouts,
// RFC 2308 §7) and the caller should try again later.
//
// A UDP query that gets no answer is sent again within the lookup's
// timeout (RFC 1035 §4.2.1, RFC 1536 §1): after 1 s, then 2 s, ..., each
// time to the next server and with a fresh ID (RFC 5452 §9.2), and an
// answer to any of the sends is taken; a reply must match the question
// (RFC 5452 §9.1).
//
// A Client made with Config.Cache keeps answers (NewFromConfig): positive
// ones for the smallest TTL of their records (at most an hour), NXDOMAIN
// and NODATA for the SOA's TTL or MINIMUM, whichever is less, when the
// answer carries the SOA (RFC 2308 §5; at most 5 minutes), temporary
// failures not at all (RFC 2308 §7.1 permits but does not require it);
// concurrent lookups of one question share one query, and the number of
// entries is bounded. New and NewClient are uncached.
//
// MX records come sorted by preference (RFC 5321 §5.1); a null MX (RFC
// 7505) is returned as a record whose host is ".". The concrete Client
// (NewClient) also answers SRV queries (RFC 2782), sorted by priority and
// weight, for the client configuration records of RFC 6186.
//
// The concrete Client also says whether an answer was DNSSEC-validated
// (LookupMXSecure, LookupIPSecure, LookupTLSA for DANE, RFC 7672 §2.1):
// with Config.DNSSEC it asks for the AD bit (RFC 6840 §5.7) and believes
// it from a resolver on a loopback address (RFC 4035 §4.9.3: the path to
// the resolver must be trusted); without, nothing is secure (secure.go).
package dnsr
