package smtpreply

// SpamRejected refuses a message the content filter (rspamd) rejects:
// 550 5.7.1, delivery not authorized, message refused (RFC 3463 §3.8).
func SpamRejected() *Reply {
	return New(550, Enhanced{5, 7, 1}, "Message rejected as spam")
}

// SpamTempFail defers a message the content filter wants retried later
// (rspamd's soft reject and greylist): 451 4.7.1.
func SpamTempFail() *Reply {
	return New(451, Enhanced{4, 7, 1}, "Message deferred by the content filter: try again later")
}

// FilterUnavailable defers a message the content filter could not scan
// when the failure policy says so (README "Spam and abuse"): 451 4.3.0.
func FilterUnavailable() *Reply {
	return New(451, Enhanced{4, 3, 0}, "Content filter unavailable: try again later")
}

// SendLimitExceeded refuses a submitted message or recipient over the
// account's sending limit (README "Spam and abuse"): 451 4.7.1, so that
// the client keeps the message and retries later.
func SendLimitExceeded(window string) *Reply {
	return New(451, Enhanced{4, 7, 1}, "Sending limit of this account reached (%s): try again later", window)
}
