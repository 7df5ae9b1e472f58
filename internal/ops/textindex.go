package ops

import (
	"context"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// TextIndexStore is what RebuildTextIndex needs of the store.
type TextIndexStore interface {
	LookupAddress(ctx context.Context, address string) (store.AccountID, error)
	RebuildTextIndex(ctx context.Context, account store.AccountID) (int, error)
}

// RebuildTextIndex puts into the full-text index the messages stored
// before it existed (README "Full-text search"), of the account that has
// address, or of every account when address is empty; it returns how
// many message bodies it indexed. The server may run meanwhile: a
// message is searched by reading it until its row is committed.
func RebuildTextIndex(ctx context.Context, st TextIndexStore, address string) (int, error) {
	var id store.AccountID
	if address != "" {
		a, err := mailaddr.Parse(strings.TrimSpace(address))
		if err == nil {
			a, err = mailaddr.Canonical(a)
		}
		if err != nil {
			return 0, &Error{Kind: KindInvalid, Field: "account", Msg: err.Error()}
		}
		if id, err = st.LookupAddress(ctx, a.String()); err != nil {
			return 0, wrap(err)
		}
	}
	n, err := st.RebuildTextIndex(ctx, id)
	return n, wrap(err)
}
