package imapd

import "testing"

// BenchmarkFetchPreview is a client's message list with previews
// (RFC 8970): 200 messages, the previews from the item cache after the
// first round.
func BenchmarkFetchPreview(b *testing.B) {
	benchCommand(b, "FETCH 1:200 (PREVIEW)", func(u []string) bool { return len(u) == 200 })
}

// BenchmarkFetchPreviewUncached makes every preview from the stored
// message (a bounded read of its first text part).
func BenchmarkFetchPreviewUncached(b *testing.B) {
	e := newEnv(b, func(c *Config, _ *Deps) { c.ItemCacheBytes = 1 })
	fillBench(b, e, benchMessages)
	benchCommandEnv(b, e, "FETCH 1:200 (PREVIEW)", func(u []string) bool { return len(u) == 200 })
}

// BenchmarkFetchObjectIDs is a JMAP-minded client's identity scan of the
// whole mailbox (RFC 8474 EMAILID and THREADID, from the records).
func BenchmarkFetchObjectIDs(b *testing.B) {
	benchCommand(b, "UID FETCH 1:* (UID EMAILID THREADID)", func(u []string) bool { return len(u) == benchMessages })
}
