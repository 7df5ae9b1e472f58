package acme

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/petrelmail/petrel/internal/store"
)

// Backend is what Storage needs of the store: its key/value storage and
// its locks.
type Backend interface {
	store.KV
	store.Locks
}

// kvPrefix is the part of the store's KV that certmagic's keys go under.
const kvPrefix = "certmagic/"

// Lease timing of certmagic's locks: a lock is renewed every third of
// lockTTL while held, so a crashed holder frees it after lockTTL.
const (
	lockTTL  = 2 * time.Minute
	lockPoll = time.Second
)

// Storage is a certmagic.Storage on the store's KV: keys below
// "certmagic/", values as they are, and certmagic's Lock on the store's
// leases (store.WaitLease), so that nodes sharing a store share the
// certificates and take turns renewing them.
type Storage struct {
	b     Backend
	owner string // this process; each Lock adds a sequence number

	seq    atomic.Uint64
	mu     sync.Mutex
	leases map[string]*store.Lease
}

var _ certmagic.Storage = (*Storage)(nil)

// NewStorage returns the storage on b; owner names this node in the locks.
func NewStorage(b Backend, owner string) *Storage {
	return &Storage{b: b, owner: owner, leases: map[string]*store.Lease{}}
}

func notFound(err error) error {
	if store.IsKind(err, store.KindNotFound) {
		return fmt.Errorf("%w: %v", fs.ErrNotExist, err)
	}
	return err
}

// Store puts value at key.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	return s.b.KVStore(ctx, kvPrefix+key, value)
}

// Load returns the value at key (fs.ErrNotExist if none).
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	v, err := s.b.KVLoad(ctx, kvPrefix+key)
	return v, notFound(err)
}

// Delete removes key and every key below it; a missing key is no error.
func (s *Storage) Delete(ctx context.Context, key string) error {
	below, err := s.b.KVList(ctx, kvPrefix+key+"/")
	if err != nil {
		return err
	}
	for _, k := range below {
		if err := s.b.KVDelete(ctx, k.Key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
	}
	if err := s.b.KVDelete(ctx, kvPrefix+key); err != nil && !store.IsKind(err, store.KindNotFound) {
		return err
	}
	return nil
}

// Exists reports whether key is a value or has keys below it.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	if ok, err := s.b.KVExists(ctx, kvPrefix+key); err == nil && ok {
		return true
	}
	below, err := s.b.KVList(ctx, kvPrefix+key+"/")
	return err == nil && len(below) > 0
}

// List returns the keys below path: all of them when recursive, else its
// direct children (values or "directories"). An empty result is
// fs.ErrNotExist, as with certmagic's file storage.
func (s *Storage) List(ctx context.Context, path string, recursive bool) ([]string, error) {
	prefix := kvPrefix
	if path != "" {
		prefix += strings.TrimSuffix(path, "/") + "/"
	}
	infos, err := s.b.KVList(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, ki := range infos {
		rest := strings.TrimPrefix(ki.Key, prefix)
		if !recursive {
			rest, _, _ = strings.Cut(rest, "/")
		}
		k := strings.TrimPrefix(prefix, kvPrefix) + rest
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("list %q: %w", path, fs.ErrNotExist)
	}
	return out, nil
}

// Stat describes key: a value, or a "directory" with keys below it.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	ki, err := s.b.KVStat(ctx, kvPrefix+key)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: ki.Modified, Size: ki.Size, IsTerminal: true}, nil
	}
	if !store.IsKind(err, store.KindNotFound) {
		return certmagic.KeyInfo{}, err
	}
	if below, lerr := s.b.KVList(ctx, kvPrefix+key+"/"); lerr == nil && len(below) > 0 {
		return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
	}
	return certmagic.KeyInfo{}, notFound(err)
}

// Lock waits for the lock name (certmagic's Locker), held as a lease of
// the store until Unlock.
func (s *Storage) Lock(ctx context.Context, name string) error {
	// A distinct owner per call: two goroutines of this process must
	// not both hold the lock.
	owner := fmt.Sprintf("%s#%d", s.owner, s.seq.Add(1))
	l, err := store.WaitLease(ctx, s.b, "acme/"+name, owner, lockTTL, lockPoll)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.leases[name] = l
	s.mu.Unlock()
	return nil
}

// Unlock releases the lock name taken by Lock.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	l := s.leases[name]
	delete(s.leases, name)
	s.mu.Unlock()
	if l == nil {
		return fmt.Errorf("unlock %q: not locked", name)
	}
	return l.Release(ctx)
}

// StoredCertificate reads the newest certificate stored for name by any
// issuer, for a process that serves nothing (petrel dns: the TLSA record
// of the key in use). fs.ErrNotExist when there is none.
func StoredCertificate(ctx context.Context, s *Storage, name string) (*x509.Certificate, error) {
	keys, err := s.List(ctx, certmagic.StorageKeys.CertsPrefix(""), true)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	want := "/" + certmagic.StorageKeys.Safe(name) + "/" + certmagic.StorageKeys.Safe(name) + ".crt"
	var best *x509.Certificate
	for _, k := range keys {
		if !strings.HasSuffix(k, want) {
			continue
		}
		data, err := s.Load(ctx, k)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(data)
		if block == nil {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err == nil && (best == nil || c.NotAfter.After(best.NotAfter)) {
			best = c
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no stored certificate for %s: %w", name, fs.ErrNotExist)
	}
	return best, nil
}
