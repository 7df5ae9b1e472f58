package webui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// KV is the key/value storage the sessions are kept in (store.KV).
type KV interface {
	KVCreate(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

const (
	sessionPrefix = "web/session/"
	sessionCookie = "petrel_session"
	// loginCookie carries the login form's CSRF token (double submit).
	loginCookie = "petrel_login"
	idBytes     = 32
)

// session is the stored form of a session, under sessionPrefix + the
// hex SHA-256 of its ID.
type session struct {
	Address string `json:"address"`
	// Account and Stamp bind the session to the account that logged in
	// and to its password as it was then (passwordStamp): a session
	// whose address has since gone to another account (deleted, then
	// created again or added to another) or whose password was changed or
	// reset ends (valid).
	Account store.AccountID `json:"account"`
	Stamp   string          `json:"stamp"`
	CSRF    string          `json:"csrf"`
	Created time.Time       `json:"created"`
	Expires time.Time       `json:"expires"`
}

// passwordStamp names a password hash without holding it: the first 16
// octets of its SHA-256, hex.
func passwordStamp(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:16])
}

// valid reports whether the session still belongs to acct, the account
// its address names now, with the password it logged in with.
func (se *session) valid(acct store.Account) bool {
	return se.Account != 0 && acct.ID == se.Account &&
		subtle.ConstantTimeCompare([]byte(se.Stamp), []byte(passwordStamp(acct.PasswordHash))) == 1
}

// newToken is 32 random octets, base64url.
func newToken() string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return sessionPrefix + hex.EncodeToString(sum[:])
}

// sessions keeps sessions in a KV.
type sessions struct {
	kv  KV
	ttl time.Duration
	now func() time.Time
}

// create stores a new session for acct and returns its ID.
func (s *sessions) create(ctx context.Context, acct store.Account) (string, *session, error) {
	id := newToken()
	now := s.now()
	se := &session{Address: acct.Address, Account: acct.ID, Stamp: passwordStamp(acct.PasswordHash),
		CSRF: newToken(), Created: now, Expires: now.Add(s.ttl)}
	b, err := json.Marshal(se)
	if err != nil {
		return "", nil, err
	}
	if err := s.kv.KVCreate(ctx, sessionKey(id), b); err != nil {
		return "", nil, err
	}
	return id, se, nil
}

var errNoSession = errors.New("no session")

// load returns the live session of id; an expired one is deleted.
func (s *sessions) load(ctx context.Context, id string) (*session, error) {
	if len(id) != base64.RawURLEncoding.EncodedLen(idBytes) {
		return nil, errNoSession
	}
	b, err := s.kv.KVLoad(ctx, sessionKey(id))
	if store.KindOf(err) == store.KindNotFound {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	var se session
	if err := json.Unmarshal(b, &se); err != nil {
		return nil, errNoSession
	}
	if !s.now().Before(se.Expires) {
		s.kv.KVDelete(ctx, sessionKey(id))
		return nil, errNoSession
	}
	return &se, nil
}

// remove deletes the session of id.
func (s *sessions) remove(ctx context.Context, id string) {
	s.kv.KVDelete(ctx, sessionKey(id))
}

// purge deletes the expired sessions.
func (s *sessions) purge(ctx context.Context) {
	keys, err := s.kv.KVList(ctx, sessionPrefix)
	if err != nil {
		return
	}
	for _, k := range keys {
		b, err := s.kv.KVLoad(ctx, k.Key)
		if err != nil {
			continue
		}
		var se session
		if json.Unmarshal(b, &se) != nil || !s.now().Before(se.Expires) {
			s.kv.KVDelete(ctx, k.Key)
		}
	}
}

// setCookie sets a cookie that scripts cannot read, that travels over
// HTTPS only and never with a request another site starts.
// The session cookie's path is "/" (one login for both parts; the admin
// part checks the admin flag on each request), the login form's is its
// part's, so that the two login forms open side by side keep their own.
func setCookie(w http.ResponseWriter, name, path, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

// sameToken compares two CSRF tokens in constant time; empty never
// matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
