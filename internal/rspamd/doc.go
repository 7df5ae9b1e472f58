// Package rspamd is Petrel's client of rspamd, the content filter that
// runs beside it (README "Spam and abuse"; docs/flow.md): a message is
// scanned over rspamd's HTTP protocol (POST /checkv2 on the normal
// worker, with the SMTP context in request headers: IP, Helo, Hostname,
// From, Rcpt, User, Deliver-To, Queue-Id, TLS-Cipher, TLS-Version), and
// the users' judgement is taught to its Bayes classifier (POST
// /learnspam and /learnham on the controller, with the account as
// Deliver-To, the user of a per-user classifier).
//
// Filter maps rspamd's action to what Petrel does (Verdict): "reject" is
// refused at the end of DATA with 550 5.7.1 (RFC 5321 §4.2.2 and RFC
// 3463 §3.8: delivery not authorized, message refused), "soft reject"
// and "greylist" with 451 4.7.1, "add header" and "rewrite subject" go
// to the recipient's Junk mailbox (RFC 6154 \Junk, keyword $Junk), and
// anything else is delivered. Every scanned message gets an
// X-Spam-Status field with rspamd's score and symbols. A scan is bounded
// in time (Config.Timeout) and in concurrency (Config.MaxConcurrent);
// when rspamd fails or is not there, the failure policy decides: accept
// the message marked "Unscanned" (the default: mail is never lost), or
// 451 4.3.0 so the sender retries.
//
// Learner takes IMAP MOVE and COPY into and out of Junk (package imapd)
// and reports the messages to rspamd in the background: the IMAP command
// never waits for rspamd, and a full backlog drops reports (counted).
package rspamd
