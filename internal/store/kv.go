package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// KeyInfo describes a stored value (certmagic's KeyInfo).
type KeyInfo struct {
	Key      string
	Modified time.Time
	Size     int64
}

// KV is a key/value storage for the small documents every node must see
// alike: DKIM keys (internal/dkim), and the certificates and account
// keys of ACME (issue 15). It follows certmagic's Storage: keys are
// "/"-separated paths ("dkim/example.org/rsa-202601.pem"), values are
// opaque octets, and Locks (Sessions) serve as its locker. A write is
// durable when it returns (docs/architecture.md §Durability). Values
// are meant to be small (kilobytes); they are read whole.
type KV interface {
	// KVStore creates or replaces the value of key.
	KVStore(ctx context.Context, key string, value []byte) error
	// KVCreate stores value only when key has none: KindExists
	// otherwise, and nothing is changed.
	KVCreate(ctx context.Context, key string, value []byte) error
	// KVLoad returns the value of key (KindNotFound if none).
	KVLoad(ctx context.Context, key string) ([]byte, error)
	// KVDelete removes key (KindNotFound if none). Keys below it
	// ("key/...") are not removed.
	KVDelete(ctx context.Context, key string) error
	// KVExists reports whether key has a value.
	KVExists(ctx context.Context, key string) (bool, error)
	// KVStat describes key (KindNotFound if none).
	KVStat(ctx context.Context, key string) (KeyInfo, error)
	// KVList describes every key that starts with prefix, sorted by
	// key; "" lists all. A certmagic adapter derives its non-recursive
	// List from it.
	KVList(ctx context.Context, prefix string) ([]KeyInfo, error)
}

// MaxKeyLen bounds a KV key, in octets.
const MaxKeyLen = 1024

// CheckKey is the rule for KV keys that every backend applies: non-empty,
// at most MaxKeyLen octets of UTF-8 without NUL or other control
// characters, "/"-separated segments that are neither empty, "." nor
// "..". It returns a KindInvalid error.
func CheckKey(op, key string) error {
	if key == "" || len(key) > MaxKeyLen || !utf8.ValidString(key) {
		return Errorf(KindInvalid, op, "invalid key (empty, too long or not UTF-8)")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return Errorf(KindInvalid, op, "invalid key %q: control character", key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return Errorf(KindInvalid, op, "invalid key %q: empty, . or .. segment", key)
		}
	}
	return nil
}
