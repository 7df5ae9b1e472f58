package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Defaults of the authentication cache.
const (
	defaultAuthCacheTTL = 15 * time.Minute
	authCacheEntries    = 10000
)

// authCache remembers, for a while, the passwords that verified: mail
// clients log in again and again (a connection per folder, a reconnect
// per sync), and each argon2id verification costs tens of milliseconds
// of CPU and 64 MiB of memory. An entry is the HMAC-SHA256 of the
// password under a key made at start (never the password), for an
// account and its stored hash, so a changed password (a new hash) or a
// deleted account finds nothing. Wrong passwords are never cached: each
// one still costs a full verification. Like Dovecot's auth_cache.
type authCache struct {
	key []byte
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[authKey]authEntry
}

type authKey struct {
	account store.AccountID
	hash    string // the stored password hash (PHC string)
}

type authEntry struct {
	mac     [sha256.Size]byte
	expires time.Time
}

// newAuthCache returns a cache keeping entries for ttl; nil (no cache)
// when ttl is negative.
func newAuthCache(ttl time.Duration, now func() time.Time) *authCache {
	if ttl < 0 {
		return nil
	}
	if ttl == 0 {
		ttl = defaultAuthCacheTTL
	}
	if now == nil {
		now = time.Now
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &authCache{key: key, ttl: ttl, now: now, m: map[authKey]authEntry{}}
}

func (c *authCache) mac(password string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(password))
	var out [sha256.Size]byte
	copy(out[:], h.Sum(nil))
	return out
}

// verified reports whether password verified against the account's
// stored hash within the TTL.
func (c *authCache) verified(id store.AccountID, stored, password string) bool {
	if c == nil {
		return false
	}
	mac := c.mac(password)
	c.mu.Lock()
	e, ok := c.m[authKey{id, stored}]
	c.mu.Unlock()
	return ok && c.now().Before(e.expires) && hmac.Equal(e.mac[:], mac[:])
}

// remember records a password that verified.
func (c *authCache) remember(id store.AccountID, stored, password string) {
	if c == nil {
		return
	}
	mac := c.mac(password)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= authCacheEntries {
		c.evict(now)
	}
	c.m[authKey{id, stored}] = authEntry{mac: mac, expires: now.Add(c.ttl)}
}

// evict drops the expired entries, and when that is not enough, others
// (map order) until a tenth of the room is free. Called with c.mu held.
func (c *authCache) evict(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < authCacheEntries*9/10 {
			break
		}
		delete(c.m, k)
	}
}
