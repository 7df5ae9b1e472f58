// Package mime7bit converts a message with 8-bit content to 7 bits, for a
// server that does not offer 8BITMIME (RFC 6152 §3: the client must convert
// the message or return it as undeliverable).
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
//
// What cannot be made 7-bit is an error, for the caller to bounce: 8-bit
// header fields (ErrHeader8Bit; they need SMTPUTF8, RFC 6532), 8-bit
// octets in a part declared binary (ErrBinary) or where no encoding may be
// applied (ErrUnencodable), and structure beyond the limits (ErrLimit).
//
// Conversion takes two reads of the message: Scan finds the parts to
// re-encode, Plan.Apply writes the converted message. Memory is bounded by
// a line buffer and the Content-Type fields; a message that is already
// 7-bit is written unchanged.
package mime7bit
