// Package queue is Petrel's durable outbound queue (docs/architecture.md
// §Queue; layer L4):
// messages for other domains wait here, with a state per recipient
// (pending, deferred with its next attempt and last error, delivered,
// failed), until a remote server accepts them, refuses them for good, or
// the queue lifetime runs out.
//
// Standards:
//
//   - RFC 5321 §4.5.4.1 (retry strategy: the schedule of delivery.retry, then
//     every last interval until delivery.max_queue_time) and §6.1 (reliable
//     delivery: a queued message survives a crash; a message is either
//     delivered or its sender is told).
//
//   - RFC 3461 (SMTP DSN extension: NOTIFY=NEVER/SUCCESS/FAILURE/DELAY,
//     ORCPT, RET=FULL/HDRS, ENVID) and RFC 3464 (the delivery-status
//     report format of the bounces, multipart/report from RFC 6522), with
//     RFC 3463 enhanced status codes.
//
//   - RFC 7505 (null MX): a domain that accepts no mail fails at once
//     (5.1.10); the outbound client reports it as a permanent failure.
//
//   - RFC 8689 (REQUIRETLS): a message keeps its REQUIRETLS parameter
//     and its "TLS-Required: No" field (REQUIRETLS wins, §4.1) and hands
//     them to the client, which enforces them; the report on a REQUIRETLS
//     message returns the headers only, whatever RET says, is sent with
//     REQUIRETLS itself (§5), and explains a 5.7.10 or 5.7.30 failure.
//
//   - RFC 6376 (DKIM): reports are signed, through a Signer, with the key
//     of their From domain (MAILER-DAEMON at the host name, or its parent
//     domain with keys); without a key, or when signing fails (logged), a
//     report goes out unsigned rather than not at all.
//
// A bounce is never sent for a message with a null reverse-path, and goes
// out itself with the null reverse-path. The queue keeps deferred mail in a
// due-time index apart from new mail, and bounds active deliveries in total
// and per destination domain. A runner claims what it sends with a lease in
// the store, so that the runners of several processes can share one queue
// (docs/architecture.md §Queue).
package queue
