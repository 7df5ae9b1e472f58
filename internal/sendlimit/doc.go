// Package sendlimit bounds what one authenticated account sends through
// submission (README "Spam and abuse"): messages and recipients per hour
// and per day, so that a stolen password does not make the server a spam
// cannon. The counts live in the store's key/value storage (store.KV),
// which every node of a shared store sees, in 10-minute buckets: the
// windows slide in 10-minute steps. Two nodes counting for one account
// at the same moment can lose an increment (the value is read, changed
// and written back): the limits are a brake, not an invoice.
//
// Over a limit, the next MAIL FROM (messages) or RCPT TO (recipients) of
// the account is refused with 451 4.7.1 (RFC 3463 §3.8: delivery not
// authorized; temporary, so the client keeps the message and tries again
// later), with a log line and a metric. The configured limits
// ([send_limits]) can be overridden per account (petrel user send-limit).
package sendlimit
