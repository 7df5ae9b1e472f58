// Package delivery is the one ingest path of Petrel (DESIGN.md §1): the
// RCPT-time recipient checks, the trace headers (Return-Path and Received,
// RFC 5321 §4.4), alias resolution, and the local store transaction. SMTP,
// submission and LMTP sessions call it; it replies with typed SMTP replies
// (package smtpreply).
package delivery
