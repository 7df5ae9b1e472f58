package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/petrelmail/petrel/internal/scram"
	"github.com/petrelmail/petrel/internal/store"
)

// SCRAM secrets (README "Authentication", docs/architecture.md "State
// and where it lives"): the salt, iteration count, StoredKey and
// ServerKey of the main password (RFC 5802 §3), in RFC 5803 form, kept in
// the store's key/value entries beside the account's other data, under
// scramKey: the account's primary address and a digest of its argon2id
// PHC string. So the entry belongs to one password hash: after a
// password change an old entry is never used, even when removing it
// failed, and no store schema change nor compare-and-swap on the hash is
// needed. They are written when a password is set and, for an account
// that has none yet, at its next login with the main password through
// PLAIN, LOGIN or USER/PASS. App passwords have no SCRAM secrets.
const scramIterations = scram.MinIterations

func scramPrefix(address string) string { return accountPrefix(address) + "scram-sha-256/" }

func scramKey(address, passwordHash string) string {
	sum := sha256.Sum256([]byte(passwordHash))
	return scramPrefix(address) + hex.EncodeToString(sum[:16])
}

// storeScram derives the SCRAM secrets of password, the account's main
// password with the PHC string hash, stores them and drops the entries of
// earlier hashes. A password the PRECIS OpaqueString profile refuses gets
// none: SCRAM cannot be used with it (PLAIN still can).
func (s *Service) storeScram(ctx context.Context, address, hash, password string) error {
	salt := make([]byte, scram.SaltLen)
	rand.Read(salt)
	sec, err := scram.NewSecrets(password, salt, scramIterations)
	if err != nil {
		return nil
	}
	key := scramKey(address, hash)
	err = s.dir.KVCreate(ctx, key, []byte(sec.Encode()))
	if err != nil && !store.IsKind(err, store.KindExists) {
		return err
	}
	infos, err := s.dir.KVList(ctx, scramPrefix(address))
	if err != nil {
		return err
	}
	for _, info := range infos {
		if info.Key == key {
			continue
		}
		if err := s.dir.KVDelete(ctx, info.Key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
	}
	return nil
}

// ensureScram gives an account that logged in with its main password
// its SCRAM secrets if it has none yet. Best effort: a failure leaves the
// login as it is, and the next one tries again.
func (s *Service) ensureScram(ctx context.Context, acct store.Account, password string) {
	have, err := s.dir.KVExists(ctx, scramKey(acct.Address, acct.PasswordHash))
	if err == nil && !have {
		_ = s.storeScram(ctx, acct.Address, acct.PasswordHash, password)
	}
}

// scramLogin is the account side of one SCRAM exchange: the secrets the
// lookup found, and the proof check.
type scramLogin struct {
	svc  *Service
	ctx  context.Context
	conv *scram.Server
	id   store.AccountID
	key  string // the secrets' key: the password hash they belong to
	real bool   // false: made-up secrets, the proof cannot hold
	// err is a directory failure of the lookup, reported by verify (a
	// temporary failure, not a wrong password).
	err error
	// final is the server-final message once Verify succeeded.
	final []byte
}

// lookup finds the SCRAM secrets of user (scram.Lookup). An unknown
// user, an account without secrets, and one whose main password is
// refused (FlagAppPasswordsOnly with app passwords) get made-up secrets,
// the same for the same name, so the exchange tells nothing. A directory
// failure gets them too, and verify reports it.
func (l *scramLogin) lookup(user string) (scram.Secrets, error) {
	sec, err := l.find(user)
	if err != nil {
		l.err, l.real = err, false
		return l.svc.fakeScram(user), nil
	}
	return sec, nil
}

func (l *scramLogin) find(user string) (scram.Secrets, error) {
	s := l.svc
	id, ok, err := s.lookupUser(l.ctx, user)
	if err != nil {
		return scram.Secrets{}, err
	}
	if ok {
		acct, err := s.dir.Account(l.ctx, id)
		if ok, err = found(err); err != nil {
			return scram.Secrets{}, err
		}
		if ok {
			if hashes, err := s.protocolHashes(l.ctx, acct, ""); err != nil {
				return scram.Secrets{}, err
			} else if len(hashes) == 0 {
				ok = false // app passwords only
			}
		}
		if ok {
			l.id, l.key = acct.ID, scramKey(acct.Address, acct.PasswordHash)
			data, err := s.dir.KVLoad(l.ctx, l.key)
			if ok, err = found(err); err != nil {
				return scram.Secrets{}, err
			}
			if ok {
				if sec, err := scram.DecodeSecrets(string(data)); err == nil {
					l.real = true
					return sec, nil
				}
			}
		}
	}
	return s.fakeScram(user), nil
}

// fakeScram makes up the secrets of a user who has none: a salt that
// stays the same for the name while the process runs, and keys no proof
// matches (finding one is finding a SHA-256 preimage).
func (s *Service) fakeScram(user string) scram.Secrets {
	m := func(label string) []byte {
		h := hmac.New(sha256.New, s.scramFake)
		h.Write([]byte(label + "\x00" + ThrottleKey(user)))
		return h.Sum(nil)
	}
	return scram.Secrets{
		Salt:       m("salt")[:scram.SaltLen],
		Iterations: scramIterations,
		StoredKey:  m("stored"),
		ServerKey:  m("server"),
	}
}

// verify checks the proof once the exchange is done: ErrAuthFailed when
// it does not hold, the user has no secrets, or the account's password
// changed meanwhile.
func (l *scramLogin) verify(ctx context.Context) (store.Account, error) {
	const op = "authenticate"
	if l.err != nil {
		return store.Account{}, store.Wrap(store.KindInternal, op, l.err)
	}
	final, ok := l.conv.Verify()
	if !ok || !l.real {
		return store.Account{}, ErrAuthFailed
	}
	acct, err := l.svc.dir.Account(ctx, l.id)
	if store.IsKind(err, store.KindNotFound) {
		return store.Account{}, ErrAuthFailed
	}
	if err != nil {
		return store.Account{}, store.Wrap(store.KindInternal, op, err)
	}
	if scramKey(acct.Address, acct.PasswordHash) != l.key {
		return store.Account{}, ErrAuthFailed
	}
	l.final = final
	return acct, nil
}

// ErrSCRAMRefused is wrapped by the errors of a SCRAM exchange the
// server refuses although its messages parse: channel binding data that
// does not match, a downgrade (RFC 5802 §6), a nonce that is not the
// server's. The protocols answer as to a failed login.
var ErrSCRAMRefused = errors.New("SCRAM exchange refused")

// mapScramErr turns the exchange's authorization identity error into
// ErrProxyLogin, as for PLAIN, and marks the refusals ErrSCRAMRefused.
func mapScramErr(err error) error {
	switch {
	case errors.Is(err, scram.ErrAuthzid):
		return ErrProxyLogin
	case errors.Is(err, scram.ErrDowngrade), errors.Is(err, scram.ErrBinding), errors.Is(err, scram.ErrNonce):
		return errors.Join(ErrSCRAMRefused, err)
	}
	return err
}
