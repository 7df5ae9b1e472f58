package imapd

import "github.com/petrelmail/petrel/internal/mutf7"

// encodeMUTF7 encodes a UTF-8 mailbox name in modified UTF-7 (for IMAP4rev1
// clients that did not enable UTF8=ACCEPT).
func encodeMUTF7(s string) string { return mutf7.Encode(s) }

// decodeMUTF7 decodes a modified UTF-7 name; ok is false when it is not
// valid modified UTF-7.
func decodeMUTF7(s string) (string, bool) { return mutf7.Decode(s) }
