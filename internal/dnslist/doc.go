// Package dnslist describes DNS blocklists and allowlists (DNSBL, DNSWL;
// RFC 5782): a list's spec as configured ("zone=pattern*weight"), which
// answers mean "listed" (RFC 5782 §2.1: A records in 127.0.0.0/8), and
// the name asked for a client address (RFC 5782 §2.1 for IPv4; §2 for
// IPv6, by nibbles). The lookups are internal/screen's.
package dnslist
