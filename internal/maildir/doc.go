// Package maildir reads and writes Maildir and Dovecot Maildir++ trees
// (README "Migrating to Petrel"): the folders (Maildir++ ".Name.Sub"
// directories, names in the modified UTF-7 of RFC 3501 §5.1.3), the flags
// of a file name (":2," info, https://cr.yp.to/proto/maildir.html), and
// Dovecot's dovecot-uidlist (UIDVALIDITY, next UID and each file's UID) and
// dovecot-keywords (the keyword each lowercase flag letter stands for).
// It knows files and names, nothing of Petrel's store.
package maildir
