package dkim

import (
	"slices"

	"github.com/petrelmail/petrel/internal/store"
)

// equalStamps compares two listings of the keys of a KeyStore (name,
// modification time and size of each): a Signer loads the keys again
// when the listing changed, on any node.
func equalStamps(a, b []store.KeyInfo) bool {
	return slices.EqualFunc(a, b, func(x, y store.KeyInfo) bool {
		return x.Key == y.Key && x.Modified.Equal(y.Modified) && x.Size == y.Size
	})
}
