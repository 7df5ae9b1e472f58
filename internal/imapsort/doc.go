// Package imapsort orders and threads messages for IMAP SORT and THREAD
// from the metadata stored at delivery (internal/msgmeta), never from the
// messages themselves.
//
// It implements:
//
//   - RFC 5256 §2.1: base-subject extraction (BaseSubject), with the
//     "reply or forward" indication the REFERENCES algorithm uses;
//   - RFC 5256 §2.2: the sent date (the Date: field, else the internal
//     date), compared in UTC;
//   - RFC 5256 §3: the SORT criteria ARRIVAL, CC, DATE, FROM, REVERSE,
//     SIZE, SUBJECT, TO, ties broken by mailbox order; the THREAD
//     algorithms ORDEREDSUBJECT and REFERENCES (all seven steps) and the
//     thread-list response syntax (§4);
//   - RFC 5957 §3: DISPLAYFROM and DISPLAYTO;
//   - RFC 5051: the i;unicode-casemap collation strings are compared
//     under (Collate).
//
// Decisions:
//
//   - Collation is i;unicode-casemap as RFC 5051 §2 defines it, with the
//     simple (one rune to one rune) titlecase mapping of Go's unicode
//     tables and NFKD from golang.org/x/text; the resulting keys compare
//     as octets.
//   - The address criteria use the first address of the field that is a
//     mailbox (group markers are skipped); CC, FROM and TO compare its
//     local part only (RFC 5256 §3 "addr-mailbox").
//   - REFERENCES: a dummy container's place among its siblings and its
//     subject are those of its earliest child once its children are
//     sorted (RFC 5256 §3 REFERENCES steps 4, 5B and 6); the root set is
//     sorted again after the subject merge of step 5. References are read
//     up to MaxReferences ids per message (the last ones). A link whose
//     loop check would walk up more than 10,000 ancestors is not made
//     (maxWalk), which keeps threading linear whatever the references.
//   - Work is linear in the messages (plus the sorts); the tree walks
//     recurse as deep as the threads (a chain of 100,000 replies is
//     100,000 frames on Go's growable stack), the thread-list writer
//     only at branches.
package imapsort
