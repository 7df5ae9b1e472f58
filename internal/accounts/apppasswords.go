package accounts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// App passwords (README "App passwords") are per-device passwords that
// work for IMAP, POP3 and SMTP AUTH (Authenticate), each revocable on its
// own. The server makes them (rand.Text: 26 characters of base32, 130
// bits) and shows each once; the store keeps its argon2id hash, like the
// main password's, and its first appHintLen characters, so that a login
// verifies at most the app passwords that start the same way instead of
// every one (the hint leaves 110 bits unknown).
const (
	// MaxAppPasswords bounds the app passwords of one account.
	MaxAppPasswords = 20
	// maxAppNameLen bounds an app password's name.
	maxAppNameLen = 64
	appHintLen    = 4
)

// AppPassword is one app password, as listed (never its secret).
type AppPassword struct {
	Name    string
	Created time.Time
}

// appEntry is the stored form of an app password.
type appEntry struct {
	Hash    string    `json:"hash"` // PHC string (argon2id)
	Hint    string    `json:"hint"` // the first appHintLen characters
	Created time.Time `json:"created"`
}

func appKey(address, name string) string { return appPrefix(address) + name }

func appPrefix(address string) string { return accountPrefix(address) + "app-password/" }

// CheckAppName checks the name of an app password: 1 to 64 letters,
// digits, ".", "_" or "-", starting with a letter or digit.
func CheckAppName(name string) error {
	if name == "" || len(name) > maxAppNameLen {
		return fmt.Errorf("an app password name has 1 to %d characters", maxAppNameLen)
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return fmt.Errorf("app password name %q: use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit", name)
		}
	}
	return nil
}

// AddAppPassword makes a new app password called name for the account
// that has address and returns its secret, which is not stored and must
// be shown once. A name the account already uses is KindExists.
func (s *Service) AddAppPassword(ctx context.Context, address, name string) (string, error) {
	const op = "add app password"
	if err := CheckAppName(name); err != nil {
		return "", store.Errorf(store.KindInvalid, op, "%w", err)
	}
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return "", err
	}
	have, err := s.dir.KVList(ctx, appPrefix(acct.Address))
	if err != nil {
		return "", store.Wrap(store.KindInternal, op, err)
	}
	if len(have) >= MaxAppPasswords {
		return "", store.Errorf(store.KindInvalid, op,
			"the account %q has %d app passwords, the most it may have; revoke one first", acct.Address, len(have))
	}
	secret := rand.Text()
	hash, err := s.hashPassword(ctx, secret)
	if err != nil {
		return "", store.Wrap(store.KindInternal, op, err)
	}
	value, err := json.Marshal(appEntry{Hash: hash, Hint: secret[:appHintLen], Created: time.Now().UTC()})
	if err != nil {
		return "", store.Wrap(store.KindInternal, op, err)
	}
	err = s.dir.KVCreate(ctx, appKey(acct.Address, name), value)
	if store.IsKind(err, store.KindExists) {
		return "", store.Errorf(store.KindExists, op, "the account %q already has an app password called %q", acct.Address, name)
	}
	if err != nil {
		return "", store.Wrap(store.KindInternal, op, err)
	}
	return secret, nil
}

// AppPasswords lists the app passwords of the account that has address,
// sorted by name.
func (s *Service) AppPasswords(ctx context.Context, address string) ([]AppPassword, error) {
	const op = "list app passwords"
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return nil, err
	}
	entries, err := s.appEntries(ctx, acct.Address)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	out := make([]AppPassword, 0, len(entries))
	for _, e := range entries {
		out = append(out, AppPassword{Name: e.name, Created: e.Created})
	}
	return out, nil
}

// RevokeAppPassword removes the app password called name of the account
// that has address: logins with it fail from then on (a connection
// already logged in stays). None of that name is KindNotFound.
func (s *Service) RevokeAppPassword(ctx context.Context, address, name string) error {
	const op = "revoke app password"
	acct, _, err := s.account(ctx, op, address)
	if err != nil {
		return err
	}
	if CheckAppName(name) == nil {
		err = s.dir.KVDelete(ctx, appKey(acct.Address, name))
	} else {
		err = store.Errorf(store.KindNotFound, op, "no such key")
	}
	if store.IsKind(err, store.KindNotFound) {
		return store.Errorf(store.KindNotFound, op, "the account %q has no app password called %q", acct.Address, name)
	}
	return store.Wrap(store.KindInternal, op, err)
}

// namedEntry is an app password read back, with its name.
type namedEntry struct {
	appEntry
	name string
}

// appEntries reads the app passwords of the account with the primary
// address address; an entry that does not decode is skipped (it cannot
// verify anything).
func (s *Service) appEntries(ctx context.Context, address string) ([]namedEntry, error) {
	prefix := appPrefix(address)
	infos, err := s.dir.KVList(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []namedEntry
	for _, info := range infos {
		data, err := s.dir.KVLoad(ctx, info.Key)
		if store.IsKind(err, store.KindNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
		var e appEntry
		if json.Unmarshal(data, &e) != nil || e.Hash == "" {
			continue
		}
		out = append(out, namedEntry{appEntry: e, name: strings.TrimPrefix(info.Key, prefix)})
	}
	slices.SortFunc(out, func(a, b namedEntry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}
