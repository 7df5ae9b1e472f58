// Package delivery is the one ingest path of Petrel (docs/architecture.md
// §Packages; docs/flow.md): the RCPT-time recipient checks, then for each
// message (an envelope.Envelope from smtpd) the stages checks -> per-
// recipient policy -> store or queue: the trace headers (Return-Path and
// Received, RFC 5321 §4.4), alias resolution, the policies (Policy), the
// local store transaction with the metadata parsed here, and the
// hand-over to the outbound queue. SMTP, submission and LMTP sessions call
// it; it replies with typed SMTP replies (package smtpreply).
//
// Policies (policy.go) decide per recipient and account: the mailbox
// (by name or RFC 6154 special use), flags and keywords, a reject with a
// typed reply (per recipient over LMTP, RFC 2033 §4.2; the whole message
// over SMTP, whose one reply after DATA cannot differ per recipient, RFC
// 5321 §3.3), a discard, and messages to send later through the queue.
//
// Routing: recipients in local domains are delivered to their accounts;
// recipients in other domains are accepted only from an authenticated
// (submission, RFC 6409) client and go to the Queue, as do the remote
// targets of aliases (forwarding). Without authentication another domain is
// refused with 554 5.7.1: Petrel is never an open relay.
// A message going to the Queue takes its "TLS-Required: No" field along
// (RFC 8689 §3: Envelope.TLSOptional), unless it carries REQUIRETLS, which
// overrides the field (§4.1); a REQUIRETLS message is delivered to local
// mailboxes like any other.
//
// Submission (Envelope.AuthAccount set): the envelope sender (CheckSender,
// at MAIL) and every address of every From: field (the From rule of
// package header; at the end of data) must be addresses the account may
// send as (RFC 6409 §6.1), else 553 5.7.1; a missing Date (§8.2) or
// Message-ID (§8.3) is added. The message is then
// signed with DKIM (RFC 6376, through a Signer: the key of the From
// domain; none means unsigned) over exactly the octets that leave, and the
// DKIM-Signature fields go below the trace fields of each copy, local or
// queued. A signing error is 451 4.3.0.
//
// Mail on the MX (Envelope.Listener "smtp", no authentication) is
// authenticated before it is routed, through a Checker (package msgauth:
// SPF, DKIM, DMARC): a DMARC reject is refused at the end of DATA (550
// 5.7.1) and a temperror for now (451), a quarantine goes to the Junk
// mailbox (RFC 6154 \Junk, keyword $Junk) through the QuarantineJunk
// policy; the Authentication-Results field (RFC 8601) goes between
// Return-Path and Received, and incoming fields that claim this host's
// authserv-id are dropped (RFC 8601 §5).
//
// The Sieve policy (sieve.go, sieveenv.go, sievereport.go) carries out
// the accounts' scripts (RFC 5228) between the operator's: fileinto
// :create and mailboxexists (RFC 5490), redirect with or without :copy
// (RFC 3894) as a forwarded Outgoing, reject (RFC 5429 §2.1: a DSN, RFC
// 3464, when the SMTP transaction has other recipients), duplicate
// tracking in the store's KV (RFC 7352), spamtest from rspamd's score
// (RFC 5235), include :global (RFC 6609).
// Forwarding (forward.go; README "Forwarding and SRS"): the remote
// targets of an alias and the forwarded copies of the policies (a Sieve
// redirect) go out with the sender rewritten by the Sender Rewriting
// Scheme (package srs) and a Delivered-To field naming the forwarding
// address; a message that already names it, or has 100 Received fields
// (RFC 5321 §6.3), is not forwarded again. A recipient whose local part
// is an SRS address we made goes on to the original sender (a bounce of
// a forwarded copy); the policies' messages to our own addresses are
// delivered here, not through our MX.
package delivery
