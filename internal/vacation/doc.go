// Package vacation answers the vacation action of a Sieve script: it
// decides whether a message gets an automatic reply and writes the
// reply. It decides and composes; delivery queues the reply (README
// "Filters and vacation").
//
// Standards implemented:
//
//   - RFC 5230 Sieve vacation: the parameters of the action (:days,
//     :subject, :from, :addresses, :mime, :handle), the previous response
//     tracking per sender and handle (§4.2), the replies restricted to
//     personal messages (§4.5) and kept from automated processes and
//     mailing lists (§4.6), and the reply's envelope and fields (§5).
//   - RFC 6131 vacation-seconds: the period in seconds, 0 meaning a reply
//     to every message.
//   - RFC 3834 automatic responses: no reply to the null reverse path or
//     to auto-submitted mail (§2), the reply sent to the reverse path with
//     a null reverse path of its own (§3.3) and marked
//     "Auto-Submitted: auto-replied" (§5).
//
// No reply is made (Reply.Skip says which rule held it back) when: the
// reverse path is null; its local part is MAILER-DAEMON, LISTSERV,
// majordomo, or starts with "owner-" or ends with "-request", "-owner" or
// "-bounces"; the header has Auto-Submitted other than "no", a List-*
// field (RFC 2369, RFC 2919), or Precedence bulk, list or junk; the
// sender is one of the user's own addresses; none of the user's
// addresses (the account's, the envelope recipient, :addresses) is in
// To, Cc, Bcc, Resent-To, Resent-Cc or Resent-Bcc; or a reply went to
// the same sender for the same handle within the period.
//
// Tracking lives in the store's key/value storage, so that every node
// of a cluster agrees: the key vacation/<account>/<hash of sender and
// handle> holds the time the period ends. A first reply is recorded with
// KVCreate, so two nodes never both answer a sender's first message; an
// entry found expired is removed and recorded again (two nodes that find
// the same expired entry at the same instant may then both answer: the
// KV has no compare-and-swap). An entry is written only when a reply is
// made.
package vacation
