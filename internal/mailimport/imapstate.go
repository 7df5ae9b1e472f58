package mailimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// The keys of an IMAP import's state in the store's key/value entries
// (README "Migrating to Petrel"): one per source folder, below a prefix
// per pair of target account and source account,
//
//	mailimport/imap-source/H(ADDRESS, HOST:PORT, USER)/H(FOLDER)
//	... /H(FOLDER)/map/N       the folder's UID map, in chunks
//
// where ADDRESS is the target account's primary address: unlike its
// numeric ID, it survives `petrel store copy` into another store, and
// an import run again on the copy goes on where it stopped. Earlier
// versions keyed the state by the account's ID
// (mailimport/imap/ID/H(HOST:PORT, USER, FOLDER)); such a state is moved
// to its new key when its folder is imported again (migrateState).

// stateKeys names the state of the folders of one source for one
// account.
type stateKeys struct {
	prefix string // "mailimport/imap-source/H/"
	// legacy is the prefix of the keys of earlier versions, with the
	// account's ID, and source the host:port and user they hashed.
	legacy, source string
}

func newStateKeys(address string, account store.AccountID, src *IMAPSource) stateKeys {
	return stateKeys{
		prefix: "mailimport/imap-source/" + shortHash(address, src.Addr, src.User) + "/",
		legacy: fmt.Sprintf("mailimport/imap/%d/", account),
		source: src.Addr + "\x00" + src.User,
	}
}

// shortHash is the first 128 bits of the SHA-256 of parts, joined by NUL,
// in hex.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// folder is the key of a folder's state.
func (k stateKeys) folder(name string) string { return k.prefix + shortHash(name) }

// legacyFolder is the key earlier versions gave it.
func (k stateKeys) legacyFolder(name string) string { return k.legacy + shortHash(k.source, name) }

// isState reports whether key (below prefix) is a folder's state, not a
// chunk of its map.
func (k stateKeys) isState(key string) bool {
	rest, ok := strings.CutPrefix(key, k.prefix)
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// migrateState moves the state and map of a folder from the key of an
// earlier version to the new one: the map's chunks first, then the state
// (the commit), then the old keys are removed; a run killed in between
// does it again, or only the removal when the new state is there.
func migrateState(ctx context.Context, st Store, old, key string) error {
	b, err := st.KVLoad(ctx, old)
	if store.IsKind(err, store.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := st.KVLoad(ctx, key); err == nil {
		return dropState(ctx, st, old)
	} else if !store.IsKind(err, store.KindNotFound) {
		return err
	}
	var state imapState
	if err := json.Unmarshal(b, &state); err != nil {
		return fmt.Errorf("import state %s: %w", old, err)
	}
	chunks, err := st.KVList(ctx, old+"/map/")
	if err != nil {
		return err
	}
	for _, c := range chunks {
		v, err := st.KVLoad(ctx, c.Key)
		if err != nil {
			return err
		}
		if err := st.KVStore(ctx, key+strings.TrimPrefix(c.Key, old), v); err != nil {
			return err
		}
	}
	if err := st.KVStore(ctx, key, b); err != nil {
		return err
	}
	return dropState(ctx, st, old)
}

// dropState removes a folder's state: its map's chunks, then the state.
func dropState(ctx context.Context, st Store, key string) error { return dropKeys(ctx, st, key, true) }

// dropKeys removes the chunks of the map of the state key, and the state
// too when withState.
func dropKeys(ctx context.Context, st Store, key string, withState bool) error {
	chunks, err := st.KVList(ctx, key+"/map/")
	if err != nil {
		return err
	}
	if withState {
		chunks = append(chunks, store.KeyInfo{Key: key})
	}
	for _, c := range chunks {
		if err := st.KVDelete(ctx, c.Key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
	}
	return nil
}
