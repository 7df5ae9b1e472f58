package imapd

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// TestInRanges: the walk of the view's UIDs and the index's ranges
// keeps what the candidates test keeps, for views with gaps (expunged
// UIDs) and ranges that start or end in them, before the first UID and
// past the last, and none.
func TestInRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		var uids, hits []store.UID
		for u := store.UID(1); u < 300; u++ {
			if r.IntN(4) != 0 {
				uids = append(uids, u)
			}
			if r.IntN(3+round%5) == 0 {
				hits = append(hits, u)
			}
		}
		k := imapmsg.SearchKey{Kind: imapmsg.SortedUIDs, UIDs: uidRanges(hits)}
		in, _ := candidates(&k)
		var want []store.UID
		for _, u := range uids {
			if in(u) {
				want = append(want, u)
			}
		}
		if got := inRanges(uids, k.UIDs); !slices.Equal(got, want) {
			t.Fatalf("round %d: got %v, want %v", round, got, want)
		}
	}
}
