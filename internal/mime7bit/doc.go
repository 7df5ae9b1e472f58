// Package mime7bit converts a message with 8-bit content to 7 bits, for a
// server that does not offer 8BITMIME (RFC 6152 §3: the client must convert
// the message or return it as undeliverable), and a message with lines
// over 998 octets to one without, for any server (RFC 5321 §4.5.3.1.6,
// RFC 5322 §2.1.1; ScanFor with ShortLines).
//
//   - RFC 2045 §6.7: each leaf part whose body has octets >= 0x80 is
//     re-encoded as quoted-printable (CRLF line ends, no line over 76
//     characters) and gets "Content-Transfer-Encoding: quoted-printable"
//     in place of its old field; parts that are 7-bit are left alone.
//   - RFC 2046 §5.1: multipart bodies are walked part by part; the
//     boundary lines, preambles and epilogues are copied byte for byte.
//   - RFC 2046 §5.2.1: a message/rfc822 part may not be encoded, so the
//     message inside it is converted in turn.
//   - RFC 2045 §4: a message whose own body is encoded gets
//     "MIME-Version: 1.0" when it has none.
//   - Lines over 998 octets: a leaf part that has one is re-encoded as
//     quoted-printable like an 8-bit part; a header field that has one is
//     folded (RFC 5322 §2.2.3) before white space, or, with none in the
//     first 998 octets, by inserting CRLF SP, which adds a space to the
//     field but never loses it (fold.go).
//   - NUL octets (NoNUL, for IMAP APPEND: NUL may only go in a literal8,
//     RFC 9051 §4.3.1): a leaf part whose body holds NUL is re-encoded as
//     base64 (RFC 2045 §6.8, RFC 3516 §4.2), whatever identity encoding it
//     declares, its octets kept exactly; a NUL in a header field
//     (ErrHeaderNUL) or where no encoding may be applied (ErrNUL) is an
//     error. The outbound needs (SevenBit, ShortLines) ignore NUL.
//
// What cannot be made 7-bit is an error, for the caller to bounce: 8-bit
// header fields (ErrHeader8Bit; they need SMTPUTF8, RFC 6532), 8-bit
// octets in a part declared binary (ErrBinary) or where no encoding may be
// applied (ErrUnencodable), structure beyond the limits (ErrLimit), and a
// long line where no encoding may be applied (ErrLongLine).
//
// Conversion takes two reads of the message: Scan finds the parts to
// re-encode, Plan.Apply writes the converted message. Memory is bounded by
// a line buffer and the Content-Type fields; a message that is already
// 7-bit is written unchanged.
package mime7bit
