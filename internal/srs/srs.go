package srs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// DefaultMaxAge is how long an SRS address is honoured when Config gives
// no MaxAge: 21 days, libsrs2's and postsrsd's default.
const DefaultMaxAge = 21 * 24 * time.Hour

// Scheme prefixes (srs.txt). The separator after them is "=" in what we
// write; "+" and "-" are accepted in what we read, as libsrs2 does.
const (
	prefix0 = "SRS0"
	prefix1 = "SRS1"
)

const (
	hashLen  = 8                   // base32 characters of the keyed hash: 40 bits
	stampLen = 2                   // base32 characters of the day stamp
	slots    = 1 << (5 * stampLen) // days the stamp counts before it wraps
	day      = 24 * time.Hour
)

// stampChars is the base32 alphabet of the stamp (srs.txt; RFC 4648 §6).
const stampChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

var hashEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Errors of Reverse.
var (
	ErrNotSRS    = errors.New("srs: not an SRS address")
	ErrMalformed = errors.New("srs: malformed SRS address")
	ErrBadHash   = errors.New("srs: hash does not match (not issued here)")
	ErrExpired   = errors.New("srs: address too old")
	// ErrNotRewritable: the sender cannot be encoded (null, or a domain
	// that is an address literal).
	ErrNotRewritable = errors.New("srs: sender cannot be rewritten")
)

// KV is the part of the store's key/value storage that keeps the key
// (store.KV).
type KV interface {
	KVCreate(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
}

// Config configures a Rewriter.
type Config struct {
	// MaxAge is how long an address is honoured after it was made
	// (rounded down to days; 0 = DefaultMaxAge; at most 1023 days).
	MaxAge time.Duration
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Rewriter rewrites and decodes SRS addresses with the key kept in a KV.
type Rewriter struct {
	keys   *keyring
	maxAge int // days
	now    func() time.Time
}

// New returns a Rewriter whose key lives in kv.
func New(cfg Config, kv KV) *Rewriter {
	age := cfg.MaxAge
	if age <= 0 {
		age = DefaultMaxAge
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Rewriter{keys: &keyring{kv: kv}, maxAge: min(int(age/day), slots-1), now: now}
}

// IsSRS reports whether local is the local part of an SRS address (an
// SRS0 or SRS1 prefix, any case, and a separator).
func IsSRS(local string) bool {
	_, _, ok := split(local)
	return ok
}

// split returns the scheme ("SRS0" or "SRS1") and what follows the
// separator.
func split(local string) (scheme, rest string, ok bool) {
	if len(local) < 5 || !strings.ContainsRune("=+-", rune(local[4])) {
		return "", "", false
	}
	switch p := strings.ToUpper(local[:4]); p {
	case prefix0, prefix1:
		return p, local[5:], true
	}
	return "", "", false
}

// Forward rewrites sender, a message's reverse path, for a message that
// domain (one of ours) forwards: SRS0 for an ordinary address, SRS1 for
// an SRS address of another forwarder (srs.txt "SRS1"). The null sender
// and address literals are not rewritten (ErrNotRewritable).
func (r *Rewriter) Forward(ctx context.Context, sender mailaddr.Address, domain string) (mailaddr.Address, error) {
	if sender.IsZero() || sender.IsLiteral() || domain == "" {
		return mailaddr.Address{}, ErrNotRewritable
	}
	key, err := r.keys.signing(ctx)
	if err != nil {
		return mailaddr.Address{}, err
	}
	scheme, rest, ok := split(sender.Local)
	switch {
	case ok && scheme == prefix1:
		// Forwarded once more: the first hop and its SRS0 part stay,
		// the hash is ours (srs.txt: SRS1 from SRS1).
		_, hop, srs0, err := parse1(rest)
		if err != nil {
			return mailaddr.Address{}, err
		}
		return r.make1(key, hop, srs0, domain), nil
	case ok:
		// The SRS0 part keeps its separator: "SRS1=H=hop=" + "=H=TT=d=u".
		return r.make1(key, sender.Domain, sender.Local[len(prefix0):], domain), nil
	}
	stamp := encodeStamp(r.today())
	local := prefix0 + "=" + hash(key, stamp, sender.Domain, sender.Local) + "=" + stamp + "=" + sender.Domain + "=" + sender.Local
	return mailaddr.Address{Local: local, Domain: domain}, nil
}

func (r *Rewriter) make1(key []byte, hop, srs0, domain string) mailaddr.Address {
	return mailaddr.Address{Local: prefix1 + "=" + hash(key, hop, srs0) + "=" + hop + "=" + srs0, Domain: domain}
}

// Reverse decodes an SRS address made by Forward (its domain is not
// checked: the caller routes only ours here). An SRS0 address gives the
// original sender once its hash and its age (Config.MaxAge) check out; an
// SRS1 address gives the first forwarder's SRS0 address, which the
// caller decodes once more when the first forwarder is us. Errors:
// ErrNotSRS, ErrMalformed, ErrBadHash, ErrExpired, or the KV's.
func (r *Rewriter) Reverse(ctx context.Context, addr mailaddr.Address) (mailaddr.Address, error) {
	scheme, rest, ok := split(addr.Local)
	if !ok {
		return mailaddr.Address{}, ErrNotSRS
	}
	keys, err := r.keys.all(ctx)
	if err != nil {
		return mailaddr.Address{}, err
	}
	if scheme == prefix1 {
		h, hop, srs0, err := parse1(rest)
		if err != nil {
			return mailaddr.Address{}, err
		}
		if !verify(keys, h, hop, srs0) {
			return mailaddr.Address{}, ErrBadHash
		}
		return mailaddr.Address{Local: prefix0 + srs0, Domain: hop}, nil
	}
	f := strings.SplitN(rest, "=", 4)
	if len(f) != 4 || f[2] == "" || f[3] == "" || len(f[1]) != stampLen {
		return mailaddr.Address{}, ErrMalformed
	}
	h, stamp, domain, local := f[0], f[1], f[2], f[3]
	then, ok := decodeStamp(stamp)
	if !ok {
		return mailaddr.Address{}, ErrMalformed
	}
	if !verify(keys, h, strings.ToUpper(stamp), domain, local) {
		return mailaddr.Address{}, ErrBadHash
	}
	// The stamp wraps every 1024 days (srs.txt): the age is taken modulo.
	if age := ((r.today()-then)%slots + slots) % slots; age > r.maxAge {
		return mailaddr.Address{}, ErrExpired
	}
	out := mailaddr.Address{Local: local, Domain: domain}
	if _, err := mailaddr.Parse(out.String()); err != nil {
		return mailaddr.Address{}, ErrMalformed
	}
	return out, nil
}

// parse1 splits what follows "SRS1=": the hash, the first hop, and its
// SRS0 part from its separator on.
func parse1(rest string) (h, hop, srs0 string, err error) {
	f := strings.SplitN(rest, "=", 3)
	if len(f) != 3 || f[1] == "" || len(f[2]) < 2 || !strings.ContainsRune("=+-", rune(f[2][0])) {
		return "", "", "", ErrMalformed
	}
	return f[0], f[1], f[2], nil
}

func (r *Rewriter) today() int { return int(r.now().Unix() / int64(day/time.Second) % slots) }

func encodeStamp(d int) string {
	return string([]byte{stampChars[(d>>5)&31], stampChars[d&31]})
}

func decodeStamp(s string) (int, bool) {
	d := 0
	for _, c := range []byte(strings.ToUpper(s)) {
		i := strings.IndexByte(stampChars, c)
		if i < 0 {
			return 0, false
		}
		d = d<<5 | i
	}
	return d, true
}

// hash is the keyed hash of fields, lowercased (MTAs may fold the case
// of the local part on the way back) and each ended by a NUL, which no
// field holds.
func hash(key []byte, fields ...string) string {
	m := hmac.New(sha256.New, key)
	for _, f := range fields {
		m.Write([]byte(strings.ToLower(f)))
		m.Write([]byte{0})
	}
	return hashEnc.EncodeToString(m.Sum(nil))[:hashLen]
}

// verify compares h with the hash under each key, case-insensitively and
// in constant time.
func verify(keys [][]byte, h string, fields ...string) bool {
	got := []byte(strings.ToUpper(h))
	ok := 0
	for _, k := range keys {
		ok |= subtle.ConstantTimeCompare(got, []byte(hash(k, fields...)))
	}
	return ok == 1
}
