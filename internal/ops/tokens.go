package ops

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TokenStore is the key/value storage the API tokens are kept in
// (store.KV).
type TokenStore interface {
	KVCreate(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

// Tokens manages the tokens of the admin API (README "Admin API"). A
// token is "ptk." NAME "." SECRET, SECRET 26 characters of base32 (130
// bits, rand.Text); the store keeps the SHA-256 of the whole token under
// tokenPrefix+NAME, never the token, and shows it once. A random secret
// of that size needs no slow hash: nobody can guess it, so only theft of
// the token itself matters.
type Tokens struct {
	kv  TokenStore
	now func() time.Time
}

// NewTokens returns the token operations on kv; now (nil: time.Now)
// stamps new tokens.
func NewTokens(kv TokenStore, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{kv: kv, now: now}
}

const (
	tokenPrefix  = "api/token/"
	tokenScheme  = "ptk."
	maxTokenName = 64
)

// Token is one API token, as listed (never its secret).
type Token struct {
	Name     string
	ReadOnly bool // refused on every call that changes something
	Created  time.Time
}

// NewToken is a token just made: Secret is the token to give the API,
// shown once.
type NewToken struct {
	Token
	Secret string
}

// tokenEntry is the stored form of a token.
type tokenEntry struct {
	SHA256   string    `json:"sha256"` // hex, of the whole token
	ReadOnly bool      `json:"read_only,omitempty"`
	Created  time.Time `json:"created"`
}

// checkTokenName: 1 to 64 letters, digits, "_" or "-".
func checkTokenName(name string) error {
	if name == "" || len(name) > maxTokenName {
		return invalid("name", fmt.Errorf("a token name has 1 to %d characters", maxTokenName))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return invalid("name", fmt.Errorf("token name %q: use letters, digits, \"_\" and \"-\"", name))
		}
	}
	return nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create makes a token called name; a name in use is KindExists.
func (t *Tokens) Create(ctx context.Context, name string, readOnly bool) (NewToken, error) {
	if err := checkTokenName(name); err != nil {
		return NewToken{}, err
	}
	secret := tokenScheme + name + "." + rand.Text()
	tok := Token{Name: name, ReadOnly: readOnly, Created: t.now().UTC().Truncate(time.Second)}
	value, err := json.Marshal(tokenEntry{SHA256: tokenHash(secret), ReadOnly: readOnly, Created: tok.Created})
	if err != nil {
		return NewToken{}, wrap(err)
	}
	err = t.kv.KVCreate(ctx, tokenPrefix+name, value)
	if store.IsKind(err, store.KindExists) {
		return NewToken{}, &Error{Kind: KindExists, Field: "name", Msg: fmt.Sprintf("there is already a token called %s", name)}
	}
	if err != nil {
		return NewToken{}, wrap(err)
	}
	return NewToken{Token: tok, Secret: secret}, nil
}

// List lists the tokens, sorted by name.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	infos, err := t.kv.KVList(ctx, tokenPrefix)
	if err != nil {
		return nil, wrap(err)
	}
	var out []Token
	for _, info := range infos {
		name := strings.TrimPrefix(info.Key, tokenPrefix)
		e, err := t.load(ctx, name)
		if KindOf(err) == KindNotFound {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Token{Name: name, ReadOnly: e.ReadOnly, Created: e.Created})
	}
	return out, nil
}

// Revoke removes the token called name: the API refuses it from the next
// call on. None of that name is KindNotFound.
func (t *Tokens) Revoke(ctx context.Context, name string) error {
	if checkTokenName(name) != nil {
		return noToken(name)
	}
	err := t.kv.KVDelete(ctx, tokenPrefix+name)
	if store.IsKind(err, store.KindNotFound) {
		return noToken(name)
	}
	return wrap(err)
}

func noToken(name string) error {
	return &Error{Kind: KindNotFound, Field: "name", Msg: fmt.Sprintf("there is no token called %s", name)}
}

// ErrBadToken is the error of Verify for a token that is malformed,
// unknown, revoked or wrong: the caller cannot tell them apart.
var ErrBadToken = errors.New("invalid API token")

// Verify returns the token that secret is; ErrBadToken when it is none.
// The comparison of the hashes takes constant time.
func (t *Tokens) Verify(ctx context.Context, secret string) (Token, error) {
	rest, ok := strings.CutPrefix(secret, tokenScheme)
	i := strings.LastIndexByte(rest, '.')
	if !ok || i < 0 || checkTokenName(rest[:i]) != nil {
		return Token{}, ErrBadToken
	}
	name := rest[:i]
	e, err := t.load(ctx, name)
	if KindOf(err) == KindNotFound {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(tokenHash(secret)), []byte(e.SHA256)) != 1 {
		return Token{}, ErrBadToken
	}
	return Token{Name: name, ReadOnly: e.ReadOnly, Created: e.Created}, nil
}

func (t *Tokens) load(ctx context.Context, name string) (tokenEntry, error) {
	data, err := t.kv.KVLoad(ctx, tokenPrefix+name)
	if err != nil {
		return tokenEntry{}, wrap(err)
	}
	var e tokenEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return tokenEntry{}, wrap(fmt.Errorf("token %s: %w", name, err))
	}
	return e, nil
}
