// Package tlsrpt is SMTP TLS Reporting (RFC 8460) for the outbound side:
// it records the outcome of every TLS session the SMTP client attempts
// (Reporter.Record), per policy domain and UTC day, and once a day sends
// each policy domain the aggregate report its _smtp._tls record asks for
// (README "TLS reporting (TLS-RPT)").
//
// It implements:
//
//   - RFC 8460 §3: the _smtp._tls TXT record ("v=TLSRPTv1; rua=..."),
//     parsed by ParseRecord and found by Discover (exactly one record
//     that starts with the version, else the domain does not take
//     reports);
//   - RFC 8460 §4: the JSON report (Report), its field names and result
//     types (§4.3), one day (00:00 to 23:59:59 UTC) per report;
//   - RFC 8460 §5.1, §5.3: the report gzip'd as application/tlsrpt+gzip
//     with its file name, in a multipart/report (report-type="tlsrpt")
//     message with the Subject, TLS-Report-Domain and
//     TLS-Report-Submitter fields, mailed to the rua mailto: addresses
//     through a Sender (which DKIM-signs: the queue signs what it
//     queues). https: rua are not posted to (they are optional: §5.2).
//
// Several nodes may share one store (docs/architecture.md §Shared state):
// each node keeps its counts in memory and adds them, every
// Config.FlushInterval, to a key/value entry of its own per day and policy
// domain ("tlsrpt/day/DAY/DOMAIN/NODE"), so that nodes never write the
// same key. After the day, one node (the one holding the "tlsrpt-send"
// lease) merges every node's entry of a domain into one report, sends it,
// and marks it sent ("tlsrpt/sent/DAY/DOMAIN") before it removes the
// entries: a report goes out once, or again after a crash between the
// send and the mark, never lost to one.
//
// Reports are sent with "TLS-Required: No" (RFC 8689 §3): RFC 8460 §5.3
// wants them delivered despite the TLS failures they may report.
package tlsrpt
