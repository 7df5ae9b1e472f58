// Package mtasts implements SMTP MTA Strict Transport Security, RFC 8461,
// on both sides:
//
//   - outbound, a Resolver finds a domain's policy: the "_mta-sts" TXT
//     record (§3.1, ParseRecord), the policy file fetched over HTTPS under
//     the rules of §3.3 (Fetcher) and parsed (§3.2, ParsePolicy), kept in
//     the store's key/value storage for its max_age and fetched again when
//     the record's id changes, the last good policy kept when a refresh
//     fails (§5.1). Policy.MatchMX is the MX host check of §4.1. A failed
//     discovery carries its RFC 8460 §4.3.2.1 result type (ResultType), for
//     TLS reporting;
//   - inbound, a Handler serves this server's own policy at
//     https://mta-sts.DOMAIN/.well-known/mta-sts.txt for each local domain
//     (ServeConfig), whose text and id petrel dns prints (internal/dnsplan).
//
// README "Certificates and transport security" is the operator's view.
package mtasts
