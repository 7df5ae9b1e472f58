package queue

import "slices"

// DSN actions (RFC 3464 §2.3.3).
const (
	actionFailed  = "failed"
	actionDelayed = "delayed"
	actionRelayed = "relayed"
)

// wants reports whether a recipient's NOTIFY (RFC 3461 §4.1) asks for a
// report of the given action. Without NOTIFY, failures are reported and
// delays too (the MTA's choice, §4.1); NEVER silences everything.
// A remote server's acceptance is reported as "relayed" when SUCCESS was
// asked for (§6.2.3); the outbound client also passes NOTIFY on to servers
// that offer DSN.
func wants(notify []string, action string) bool {
	if slices.Contains(notify, "NEVER") {
		return false
	}
	switch action {
	case actionFailed:
		return len(notify) == 0 || slices.Contains(notify, "FAILURE")
	case actionDelayed:
		return len(notify) == 0 || slices.Contains(notify, "DELAY")
	case actionRelayed:
		return slices.Contains(notify, "SUCCESS")
	}
	return false
}
