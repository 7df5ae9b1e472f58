package mailimport

import (
	"context"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// threads places messages imported with their UIDs (store.ImportMessages
// takes a ThreadID) the way delivery does (store.ThreadKeys): a message
// joins the thread of its first key the account knows, else starts its
// own. It holds the account's thread keys, loaded at the start.
type threads struct {
	keys map[string]store.ThreadID
}

func loadThreads(ctx context.Context, st Store, account store.AccountID) (*threads, error) {
	t := &threads{keys: map[string]store.ThreadID{}}
	after := ""
	for {
		page, err := st.ListThreadKeys(ctx, account, after, 5000)
		if err != nil {
			return nil, err
		}
		for _, k := range page {
			t.keys[k.Key] = k.Thread
		}
		if len(page) < 5000 {
			return t, nil
		}
		after = page[len(page)-1].Key
	}
}

// assign returns the thread of a message with the new EmailID id and
// records its keys.
func (t *threads) assign(meta *msgmeta.Meta, id store.EmailID) store.ThreadID {
	keys := store.ThreadKeys(meta)
	thread := store.ThreadID(id)
	for _, k := range keys {
		if th, ok := t.keys[k]; ok {
			thread = th
			break
		}
	}
	for _, k := range keys {
		if _, ok := t.keys[k]; !ok {
			t.keys[k] = thread
		}
	}
	return thread
}
