package dkim

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"golang.org/x/net/publicsuffix"
)

// Keyring is the keys of a key directory, as read by Load. It does not
// change; load again to see new keys.
type Keyring struct {
	keys    map[string][]*Key // by domain, newest first
	skipped []error
}

// Load reads every key under dir (<data_dir>/dkim). A missing dir is an
// empty keyring. Files and directories that are not keys (a name that is
// not a lower-case A-label domain or a valid selector, a file that does
// not parse) are left out and listed by Skipped; the error is for a dir
// that cannot be read.
func Load(dir string) (*Keyring, error) {
	r := &Keyring{keys: map[string][]*Key{}}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			r.skip(filepath.Join(dir, e.Name()), "not a domain directory")
			continue
		}
		if d, err := mailaddr.CanonicalDomain(e.Name()); err != nil || d != e.Name() {
			r.skip(filepath.Join(dir, e.Name()), "not a domain name in lower-case A-label form")
			continue
		}
		r.loadDomain(dir, e.Name())
	}
	for _, keys := range r.keys {
		slices.SortFunc(keys, newestFirst)
	}
	return r, nil
}

func (r *Keyring) skip(path, why string) {
	r.skipped = append(r.skipped, fmt.Errorf("dkim: skipping %s: %s", path, why))
}

// loadDomain reads the keys of one domain directory.
func (r *Keyring) loadDomain(dir, domain string) {
	ddir := filepath.Join(dir, domain)
	entries, err := os.ReadDir(ddir)
	if err != nil {
		r.skip(ddir, err.Error())
		return
	}
	for _, e := range entries {
		path := filepath.Join(ddir, e.Name())
		selector, ok := strings.CutSuffix(e.Name(), ".pem")
		if strings.HasPrefix(e.Name(), ".") || !ok || !e.Type().IsRegular() {
			continue // temporary files, notes, ...
		}
		if err := CheckSelector(selector); err != nil {
			r.skip(path, "the file name is not a selector")
			continue
		}
		k, err := readKey(path)
		if err != nil {
			r.skip(path, err.Error())
			continue
		}
		k.Domain, k.Selector = domain, selector
		r.keys[domain] = append(r.keys[domain], k)
	}
}

func readKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	signer, alg, created, err := parseKey(data, fi.ModTime())
	if err != nil {
		return nil, err
	}
	return &Key{Algorithm: alg, Created: created.UTC(), Path: path, signer: signer}, nil
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
