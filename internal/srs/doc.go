// Package srs implements the Sender Rewriting Scheme (SRS; Shevek, "Sender
// Rewriting Scheme", the scheme's description srs.txt, as libsrs2 and
// postsrsd implement it): the reverse path of a message that Petrel
// forwards (a remote alias target, a Sieve redirect) is rewritten into an
// address of the forwarding domain, so that the next hop's SPF check
// (RFC 7208) sees a sender our servers may send for, and bounces to it
// come back here, where they are decoded and sent on to the original
// sender (README "Forwarding and SRS").
//
// RFC 5321 §3.9.1 keeps an alias's reverse path unchanged; SRS departs
// from it the way a list does (§3.9.2: the list's own address takes the
// bounces), but encodes the original sender so that its bounces still
// reach it. The null reverse path is never rewritten (§4.5.5: a bounce is
// not answered).
//
// Forms (srs.txt, "SRS0" and "SRS1"):
//
//	SRS0=HHHHHHHH=TT=orig.example=user@forwarder.example
//	SRS1=HHHHHHHH=first.example==HHHHHHHH=TT=orig.example=user@forwarder.example
//
// TT is the day (days since 1970 modulo 1024) in two base32 characters;
// HHHHHHHH a keyed hash (HMAC-SHA256) of the other fields, lowercased,
// in base32 (srs.txt uses base64; base32 survives MTAs that fold the case
// of local parts, so the hash is compared case-insensitively without
// losing strength), 8 characters: 40 bits. An SRS0 address forwarded
// again becomes SRS1 naming the first forwarder, whose SRS0 part is kept
// as it is: only the first forwarder can decode it. The key is 32 random
// octets made on first use and kept in the store's key/value storage, so
// that every node of a cluster signs and checks alike.
package srs
