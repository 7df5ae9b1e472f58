// Package header reads the header section of a message, one way for
// every consumer (msgmeta, mime7bit, dkim, msgauth, delivery), and holds
// the one rule for who a message is from.
//
// Reading (RFC 5322 §2.2):
//
//   - the header section ends at the first empty line (§2.1), a line of
//     CRLF, LF, or a CR that ends the input; without one, all the input is
//     header;
//   - a line that starts with SP or HTAB continues the field before it
//     (§2.2.3, folding); unfolding removes the line breaks (CRLF, LF, and a
//     CR at the end) and keeps everything else;
//   - any other line starts a field, named by the text before its first
//     colon with white space before the colon allowed (§4.5, obs-optional);
//     a line without a colon, or whose name is not printable US-ASCII
//     (§3.6.8 ftext), stays in the header but is no field; so does a
//     continuation line at the top; Malformed lists these lines, which
//     submission refuses, and FromSection counts one named like From
//     (once the octets outside ftext are dropped) as a From field that
//     does not parse, so that DMARC checks its domains;
//   - names compare ASCII case-insensitively (§1.2.2);
//   - Read stops after a caller's byte limit and reports a section that
//     does not end within it (ErrTooLarge): every reader of the From rule
//     (submission, the DKIM signer, DMARC) reads with MaxSection, so that
//     none sees a From field another missed; Scan stops handing fields to
//     the caller when it asks (msgmeta's 10,000 fields); both report where
//     the section ends.
//
// The From rule (From, Authors): the authors of a message are every
// address of every From field (RFC 5322 §3.6.2 allows exactly one field,
// with one or more addresses; RFC 6854 allows group syntax), in order, with
// RFC 2047 encoded words in display names decoded where the charset is
// known and kept as written otherwise, and UTF-8 addresses (RFC 6532)
// kept. A message with no From field, several, or one that does not parse
// is reported as such, and the domains written in a field that does not
// parse are still found, so that DMARC evaluates every domain a reader
// could take for the author (RFC 7489 §6.6.1: each domain of the From
// field is checked; a message without a usable From is left to local
// policy). Submission refuses what the rule cannot read (RFC 6409 §6.1),
// DKIM signs for every author domain, DMARC checks every one, and the
// IMAP ENVELOPE lists every author.
package header
