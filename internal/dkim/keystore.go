package dkim

import (
	"context"
	"errors"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// KeyStore is where the keys are kept: the store's key/value storage
// (store.KV implements it), shared by every node on the store
// (docs/architecture.md §Shared state). A key is the value of
// "dkim/<domain>/<selector>.pem" (KeyName): the key file, a Created line
// and a PKCS#8 PEM block.
type KeyStore interface {
	// KVCreate stores a value only when the key has none (KindExists).
	KVCreate(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	// KVList describes the keys under a prefix, sorted.
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

// keyPrefix starts the names of every DKIM key in a KeyStore.
const keyPrefix = "dkim/"

// KeyName is the name in a KeyStore of the key of domain (canonical)
// and selector.
func KeyName(domain, selector string) string {
	return keyPrefix + domain + "/" + selector + ".pem"
}

// splitName returns the domain and selector of a key name; false when
// the name is not one of a key.
func splitName(name string) (domain, selector string, ok bool) {
	rest, ok := strings.CutPrefix(name, keyPrefix)
	if !ok {
		return "", "", false
	}
	domain, file, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	selector, ok = strings.CutSuffix(file, ".pem")
	return domain, selector, ok && !strings.Contains(selector, "/")
}

// ErrNoKey is returned by Remove and Export for a selector the domain has
// no key with.
var ErrNoKey = errors.New("no key with this selector")

// Remove retires the key of domain (any form mailaddr.CanonicalDomain
// accepts) and selector: it stops signing at once, and its private key is
// gone (export it first to keep it).
func Remove(ctx context.Context, ks KeyStore, domain, selector string) error {
	name, err := nameOf(domain, selector)
	if err != nil {
		return err
	}
	err = ks.KVDelete(ctx, name)
	if store.IsKind(err, store.KindNotFound) {
		return ErrNoKey
	}
	return err
}

// Export returns the key file of domain and selector: the Created line
// and the PKCS#8 PEM block, as Import reads it back (a backup).
func Export(ctx context.Context, ks KeyStore, domain, selector string) ([]byte, error) {
	name, err := nameOf(domain, selector)
	if err != nil {
		return nil, err
	}
	data, err := ks.KVLoad(ctx, name)
	if store.IsKind(err, store.KindNotFound) {
		return nil, ErrNoKey
	}
	return data, err
}

// nameOf checks a domain and a selector and returns their key name.
func nameOf(domain, selector string) (string, error) {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return "", err
	}
	selector = strings.ToLower(selector)
	if err := CheckSelector(selector); err != nil {
		return "", err
	}
	return KeyName(d, selector), nil
}
