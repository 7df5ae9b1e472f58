package store

import "time"

// SaveDateOf is the save date (RFC 8514 §3) of a stored Unix time: 0 is a
// message stored before the store kept save dates, whose best known save
// date is its internal date (the time of its delivery; an APPEND's is the
// client's). The store thus has a save date for every message, so every
// mailbox supports the attribute.
func SaveDateOf(unix int64, internal time.Time) time.Time {
	if unix == 0 {
		return internal
	}
	return time.Unix(unix, 0).UTC()
}

// SaveDateUnix is the Unix time to store for a save date; zero is now.
func SaveDateUnix(t time.Time) int64 {
	if t.IsZero() {
		return time.Now().Unix()
	}
	return t.Unix()
}
