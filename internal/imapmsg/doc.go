// Package imapmsg is everything IMAP says about the content of a message:
// the ENVELOPE and BODYSTRUCTURE/BODY data items, the bytes of FETCH
// sections, and SEARCH matching. It works from the metadata package
// msgmeta computed at delivery (never re-parsing a message for FETCH) and
// streams bodies from the stored blob (an io.ReaderAt) by the byte offsets
// of that metadata. The IMAP protocol layer, imapd, parses commands and
// writes responses; it calls this package for the data.
//
// It implements:
//
//   - RFC 9051 §7.5.2 and §9: ENVELOPE, BODYSTRUCTURE and BODY (body,
//     body-type-mpart, body-type-1part, body-ext-*), FLAGS, INTERNALDATE
//     (date-time), and the string, nstring and astring syntax of §4.3;
//   - RFC 9051 §6.4.5: BODY[<section>]<<partial>>, the part numbers, the
//     HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT and MIME specifiers;
//   - RFC 3516 (and RFC 9051 §6.4.5): BINARY[<part>]<<partial>> and
//     BINARY.SIZE, with NO [UNKNOWN-CTE] for encodings it cannot decode;
//   - RFC 9051 §6.4.4 SEARCH keys, with RFC 3501 §6.4.4 for the IMAP4rev1
//     keys IMAP4rev2 dropped (NEW, OLD, RECENT), RFC 7162 §3.1.5 MODSEQ
//     and RFC 8474 §6 EMAILID and THREADID;
//   - RFC 8970 §3: the PREVIEW text (Preview);
//   - RFC 2045 §6.7 and §6.8: quoted-printable and base64 decoding;
//     RFC 2047: encoded words, to downgrade non-ASCII strings; RFC 2231:
//     parameter values, sent back encoded to clients without UTF-8;
//   - RFC 6855 (UTF8=ACCEPT) and RFC 6858: what a client that has not
//     enabled UTF-8 is sent;
//   - the text of the full-text index (IndexText, TextPlan): the strings
//     RFC 9051 §6.4.4's SUBJECT, FROM, TO, CC, BCC, BODY and TEXT look
//     in, as Match reads them, so that the index answers as Match does
//     (docs/architecture.md §Full-text index).
//
// Decisions:
//
//   - Metadata is written as stored: Subject and display names with their
//     encoded words, type, subtype and encoding in the case the message
//     used (7BIT when absent, RFC 2045 §6.1), line counts as msgmeta
//     counts them. A text part without a charset parameter is given
//     ("charset" "us-ascii") (RFC 2045 §5.2), as Dovecot does.
//   - Strings are quoted when they can be, literals when they hold CR or
//     LF; NUL is dropped. Without UTF-8 (IMAP4rev1 without ENABLE
//     UTF8=ACCEPT), nothing but ASCII is sent: a non-ASCII string becomes
//     RFC 2047 encoded words, a parameter value the RFC 2231 form (name*, charset utf-8),
//     an internationalized domain its A-label. With UTF-8, strings go as
//     UTF-8 in quoted strings.
//   - A section that designates nothing (a part number past the last
//     part, HEADER after a part that is not a message) is an empty string,
//     as is a partial that starts past the end: FETCH never fails on the
//     structure of a message. Part numbers follow msgmeta.Part.Find: "1"
//     of a message that is not multipart is its body, and "1.MIME" its
//     header.
//   - HEADER.FIELDS(.NOT) returns the matching fields as written, folded
//     lines included, then a blank line, and nothing else of the header.
//   - BINARY decodes only a leaf part; the whole message, a multipart and
//     a message/rfc822 are sent as they are (RFC 2045 §6.4: their own
//     encoding is an identity). Decoding is lenient: base64 skips what is
//     not in its alphabet, quoted-printable keeps what is not a valid
//     escape. Only an encoding that is not 7bit, 8bit, binary, base64 or
//     quoted-printable is an error (UnknownEncodingError).
//   - SEARCH BODY matches the text of every text/* part (encapsulated
//     messages included), decoded from its transfer encoding and charset;
//     TEXT also every header: the message's, each part's MIME header and
//     each encapsulated message's. Header values are matched decoded
//     (RFC 2047). Matching is substring matching after Unicode case
//     folding of both sides. A charset or encoding that cannot be decoded
//     is searched as it is: a search never fails on content.
//   - Dates: BEFORE, ON and SINCE take the internal date's calendar day in
//     the zone the time carries; SENTBEFORE, SENTON and SENTSINCE that of
//     the Date: header in its own zone, or the internal date when the
//     message has no usable Date: (RFC 5256 §2.2).
package imapmsg
