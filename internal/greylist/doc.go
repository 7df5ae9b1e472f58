// Package greylist is greylisting (RFC 6647) on the store's key/value
// entries, so that every node of one store shares it (docs/architecture.md
// "Several nodes"): the first message from a client network (an IPv4 /24
// or an IPv6 /64), a sender and a recipient (the triplet) is refused for
// now, and a retry after Delay and within RetryWindow is accepted; a
// triplet that passed stays known for Expiry after it was last seen, and
// so does its client network with the sender's domain (the automatic
// allowlist: a sender that retried once is not delayed again from that
// network, whoever it writes to). Records expire on read, and Sweep
// deletes the old ones. The exemptions are the caller's (internal/screen).
package greylist
