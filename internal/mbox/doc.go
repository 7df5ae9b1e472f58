// Package mbox reads and writes mbox files (README "Migrating to
// Petrel"): messages after "From " lines (RFC 4155), the lines of a
// message that begin with ">*From " quoted one more ">" (mboxrd; an mboxo
// file reads the same except for lines that were ">From " before it was
// written, which it could not tell apart either), the flags of the
// Status, X-Status and X-Keywords header fields that mail clients keep
// there. The writer writes mboxrd.
//
// Each message is followed by one line ending that is not part of it:
// the blank line between messages when the message ends with a line
// ending, the end of its last line when it does not. So a message without
// a final newline comes back without one.
package mbox
