// Package mutf7 encodes and decodes mailbox names in the modified UTF-7 of
// RFC 3501 §5.1.3: what IMAP4rev1 clients without UTF8=ACCEPT send, and
// what Dovecot's Maildir++ folder names are written in (README "Migrating
// to Petrel").
package mutf7
