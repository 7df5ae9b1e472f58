package envelope

// Screening is what connection screening on the MX found out about the
// client (internal/screen, README "Spam and abuse"): the DNS lists that
// list it. Greylisting exempts a client on an allowlist, and delivery
// reports it in the X-Spam-Screen field of the message.
type Screening struct {
	// Score is the sum of the weights of the blocklists that list the
	// client; Threshold the score that refuses it (0: no blocklists).
	Score, Threshold int
	// Listed are the blocklists that list the client, Allowed the
	// allowlist that does ("" for none; it overrides the blocklists).
	Listed  []string
	Allowed string
	// Unanswered are the lists that gave no answer in time: they count
	// as not listing the client.
	Unanswered []string
}
