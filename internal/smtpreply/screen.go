package smtpreply

import "time"

// Replies of connection screening and greylisting on the MX (README
// "Spam and abuse").

// EarlyTalker: 554 5.5.1, the client sent before its turn: before the
// greeting (RFC 5321 §3.1: the client waits for the 220) or behind a
// command that must end a group (RFC 2920 §3.1: EHLO, HELO). The
// connection is closed after it.
func EarlyTalker(host string) *Reply {
	return New(554, Enhanced{5, 5, 1}, "%s Protocol error: you talked before your turn", host)
}

// Blocklisted: 554 5.7.1 at RCPT, the client is on DNS blocklists whose
// weights reach the threshold (RFC 5782); zones names them.
func Blocklisted(ip, zones string) *Reply {
	return New(554, Enhanced{5, 7, 1}, "Service unavailable; client [%s] blocked using %s", ip, zones)
}

// ConnectionRateExceeded: 421 4.7.0 at connect time, the client opened
// more connections per minute than allowed; the connection is closed.
func ConnectionRateExceeded(host string) *Reply {
	return New(421, Enhanced{4, 7, 0}, "%s Too many connections from your address, try again later", host)
}

// RateExceeded: 451 4.7.1 at MAIL or RCPT, the client sent more messages
// or recipients ("messages", "recipients") per minute than allowed.
func RateExceeded(what string) *Reply {
	return New(451, Enhanced{4, 7, 1}, "Too many %s from your address, try again later", what)
}

// Greylisted: 451 4.7.1 after the data, the first attempt of a sender,
// recipient and client network not seen before (RFC 6647); a retry after
// delay is accepted.
func Greylisted(delay time.Duration) *Reply {
	return New(451, Enhanced{4, 7, 1}, "Greylisted, try again in %d seconds", int(delay.Seconds()))
}
