// Package msgmeta computes, once at delivery, the metadata IMAP needs about a
// stored message: its envelope, its MIME structure with the exact byte offsets
// of every part, its Date, and its decoded header fields.
//
// It implements:
//
//   - RFC 5322: header fields, folding (§2.2.3), the header/body split (§2.1),
//     address lists and groups (§3.4), dates (§3.3) and the obsolete syntax
//     of §4 (obs-phrase, obs-route, two-digit years, alphabetic zones);
//   - RFC 2045: Content-Type and its parameters (§5.1), the defaults of §5.2
//     (text/plain; charset=us-ascii) and §6.1 (7BIT), Content-ID (§7) and
//     Content-Description (§8);
//   - RFC 2046 §5.1.1: multipart boundaries, delimiter lines, transport
//     padding, preamble and epilogue; §5.1.5: multipart/digest children
//     default to message/rfc822; §5.2.1: message/rfc822 encapsulation;
//   - RFC 2047: encoded words in header fields, decoded to UTF-8;
//   - RFC 2183 (Content-Disposition), RFC 3282 (Content-Language), RFC 2557
//     (Content-Location), RFC 1864 (Content-MD5);
//   - RFC 2231: parameter continuations and charset/language encoding;
//   - RFC 6532 §3.5: message/global is encapsulated like message/rfc822;
//   - RFC 9051 §7.5.2: the ENVELOPE and BODYSTRUCTURE data they feed, and
//     §6.4.5 part numbering (Part.Find).
//
// Decisions:
//
//   - The raw bytes are the truth. Parse never fails on malformed mail, only
//     on a read error, and never panics: whatever SMTP accepted gets
//     metadata. What cannot be understood degrades: a multipart without a
//     usable boundary (or without any delimiter line) becomes a text/plain
//     leaf (its type and subtype replaced, its parameters kept), as does a
//     multipart or message/rfc822 nested more than 20 levels deep or past
//     10000 parts in the message (a multipart reaching that budget gets its
//     last part extended over the rest); a message/rfc822 or message/global
//     whose encoding is not 7bit, 8bit or binary becomes an
//     application/octet-stream leaf. So a multipart Part always has
//     children and a message/rfc822 or message/global Part always has a
//     Message, which is what BODYSTRUCTURE needs.
//   - Header fields are also bounded: 10000 per header, 2000 addresses per
//     address field, 1000 parameters per MIME field.
//   - Offsets are byte offsets into the raw message as stored. A body part
//     of a multipart ends before the line break that precedes the next
//     delimiter line (that line break belongs to the delimiter).
//   - Lines counts the line feeds of the body, plus one for a last line
//     that has no line feed.
//   - All strings are valid UTF-8: bytes that are not are replaced with
//     U+FFFD, so Marshal and Unmarshal give back the same Meta.
//   - Parameter names are lower-cased; an RFC 2231 value whose charset is
//     unknown is kept encoded, under the name with its trailing '*'.
package msgmeta
