// Package imapacl holds the rules of IMAP access control lists (RFC
// 4314) that do not depend on a store: the rights (§2.1) and their
// string form, the obsolete virtual rights "c" and "d" (§2.1.1), the
// identifiers a server accepts (§2: "anyone" and account names, no
// negative rights), the modifiers of SETACL (§3.1), and the rights each
// IMAP command needs (§4). Package imapd applies them; the entries
// themselves are the store's (docs/architecture.md §Shared mailboxes).
package imapacl
