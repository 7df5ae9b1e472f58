package dkim

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
	"golang.org/x/net/publicsuffix"
)

// Keyring is the keys of a KeyStore, as read by Load. It does not change;
// load again to see new keys.
type Keyring struct {
	keys    map[string][]*Key // by domain, newest first
	skipped []error
}

// Load reads every key of ks. Values that are not keys (a name that is
// not "dkim/<domain>/<selector>.pem" with a lower-case A-label domain and
// a valid selector, a value that does not parse) are left out and listed
// by Skipped; the error is for a store that cannot be read.
func Load(ctx context.Context, ks KeyStore) (*Keyring, error) {
	infos, err := ks.KVList(ctx, keyPrefix)
	if err != nil {
		return nil, err
	}
	r := &Keyring{keys: map[string][]*Key{}}
	for _, info := range infos {
		domain, selector, ok := splitName(info.Key)
		if !ok {
			r.skip(info.Key, "not dkim/<domain>/<selector>.pem")
			continue
		}
		if d, err := mailaddr.CanonicalDomain(domain); err != nil || d != domain {
			r.skip(info.Key, "not a domain name in lower-case A-label form")
			continue
		}
		if err := CheckSelector(selector); err != nil {
			r.skip(info.Key, "not a selector")
			continue
		}
		data, err := ks.KVLoad(ctx, info.Key)
		if store.IsKind(err, store.KindNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		signer, alg, created, err := parseKey(data, info.Modified)
		if err != nil {
			r.skip(info.Key, err.Error())
			continue
		}
		r.keys[domain] = append(r.keys[domain], &Key{Domain: domain, Selector: selector,
			Algorithm: alg, Created: created.UTC(), Name: info.Key, signer: signer})
	}
	for _, keys := range r.keys {
		slices.SortFunc(keys, newestFirst)
	}
	return r, nil
}

func (r *Keyring) skip(name, why string) {
	r.skipped = append(r.skipped, fmt.Errorf("dkim: skipping %s: %s", name, why))
}

// newestFirst orders keys by creation time, newest first, then by
// selector (descending, so that "rsa-202602" comes before "rsa-202601").
func newestFirst(a, b *Key) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return cmp.Compare(b.Selector, a.Selector)
}

// Domains lists the domains that have keys, sorted.
func (r *Keyring) Domains() []string {
	ds := make([]string, 0, len(r.keys))
	for d := range r.keys {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}

// Keys returns the keys of domain (any form mailaddr.CanonicalDomain
// accepts), newest first.
func (r *Keyring) Keys(domain string) []*Key {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return nil
	}
	return slices.Clone(r.keys[d])
}

// Skipped lists what Load left out, and why.
func (r *Keyring) Skipped() []error { return slices.Clone(r.skipped) }

// ActivationDelay is how long a new key waits before it signs in place of
// an older key of the same algorithm, so that its record can be published
// first (key rotation). A domain's only key of an algorithm signs at once.
const ActivationDelay = 24 * time.Hour

// Active returns the keys that sign mail of domain at now: for each
// algorithm, RSA first, the newest key created at least ActivationDelay
// before now, or else the oldest key.
func (r *Keyring) Active(domain string, now time.Time) []*Key {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return nil
	}
	return active(r.keys[d], now)
}

func active(keys []*Key, now time.Time) []*Key {
	var out []*Key
	for _, alg := range []string{RSA, Ed25519} {
		var pick *Key
		for _, k := range keys { // newest first
			if k.Algorithm != alg {
				continue
			}
			pick = k
			if now.Sub(k.Created) >= ActivationDelay {
				break
			}
		}
		if pick != nil {
			out = append(out, pick)
		}
	}
	return out
}

// signingKeys returns the keys that sign mail from domain (canonical) at
// now: the active keys of domain or else of its nearest parent that has
// keys, up to its organisational domain (RFC 7489 §3.2), where relaxed
// alignment still holds.
func (r *Keyring) signingKeys(domain string, now time.Time) []*Key {
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		org = domain
	}
	for d := domain; ; {
		if keys := r.keys[d]; len(keys) > 0 {
			return active(keys, now)
		}
		parent, ok := parentDomain(d)
		if d == org || !ok || len(parent) < len(org) {
			return nil
		}
		d = parent
	}
}

func parentDomain(d string) (string, bool) {
	_, parent, ok := strings.Cut(d, ".")
	return parent, ok && parent != ""
}
