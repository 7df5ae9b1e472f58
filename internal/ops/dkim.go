package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// LocalDomains tells whether a domain is one of the server's (Directory,
// or a lazy opener of the store in the CLI).
type LocalDomains interface {
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
}

// DKIM manages the DKIM keys kept in the store's key/value storage
// (package dkim, docs/architecture.md §Shared state).
type DKIM struct {
	ks      dkim.KeyStore
	domains LocalDomains
	now     func() time.Time
}

// NewDKIM returns the key operations on the keys of ks; domains tells
// local domains apart, now (nil: time.Now) decides which keys sign.
func NewDKIM(ks dkim.KeyStore, domains LocalDomains, now func() time.Time) *DKIM {
	if now == nil {
		now = time.Now
	}
	return &DKIM{ks: ks, domains: domains, now: now}
}

// Key is one DKIM key, without its private part.
type Key struct {
	Domain    string // A-label form
	Selector  string
	Algorithm string // dkim.RSA or dkim.Ed25519
	Created   time.Time
	StoreKey  string // its name in the key/value storage (dkim.KeyName)
	Name      string // the name of its DNS record, without the trailing dot
	TXT       string // the text of its DNS record
	// Zone is its record in zone-file syntax, the text cut into strings
	// of at most 255 octets.
	Zone string
}

func keyOf(k *dkim.Key) Key {
	return Key{Domain: k.Domain, Selector: k.Selector, Algorithm: k.Algorithm, Created: k.Created,
		StoreKey: k.Name, Name: k.RecordName(), TXT: k.TXT(), Zone: k.ZoneRecord()}
}

// GenerateRequest asks for a new key.
type GenerateRequest struct {
	Domain    string // any form mailaddr.CanonicalDomain takes
	Selector  string // "" = dkim.DefaultSelector
	Algorithm string // dkim.RSA, dkim.Ed25519, or "" (RSA)
}

// Validate checks the request; a KindInvalid error names the field
// (algorithm, selector, domain, in that order).
func (r GenerateRequest) Validate() error {
	if r.Algorithm != "" && r.Algorithm != dkim.RSA && r.Algorithm != dkim.Ed25519 {
		return invalid("algorithm", fmt.Errorf("must be rsa or ed25519, not %q", r.Algorithm))
	}
	if r.Selector != "" {
		if err := dkim.CheckSelector(strings.ToLower(r.Selector)); err != nil {
			return invalid("selector", err)
		}
	}
	if _, err := mailaddr.CanonicalDomain(r.Domain); err != nil {
		return invalid("domain", err)
	}
	return nil
}

// Generated is a new key and what follows from it.
type Generated struct {
	Key Key
	// Local reports whether the domain is local; LocalErr says why that
	// is unknown. The key is made either way (it may sign a subdomain's
	// mail).
	Local    bool
	LocalErr error
	// StillSigning are the keys of the same algorithm that keep signing
	// until the new key takes over at Takeover (dkim.ActivationDelay):
	// the new record must be published before then.
	StillSigning []Key
	Takeover     time.Time
	// WantRSA: an Ed25519 key without an RSA key beside it; many
	// receivers verify only RSA signatures (RFC 8463 §6).
	WantRSA bool
}

// Generate makes a new key. A selector the domain already uses is
// KindExists (Field "selector").
func (d *DKIM) Generate(ctx context.Context, req GenerateRequest) (Generated, error) {
	if err := req.Validate(); err != nil {
		return Generated{}, err
	}
	domain, _ := mailaddr.CanonicalDomain(req.Domain)
	now := d.now()
	k, err := dkim.Generate(ctx, d.ks, domain, req.Selector, req.Algorithm, now)
	if errors.Is(err, dkim.ErrExists) {
		sel := strings.ToLower(req.Selector)
		if sel == "" {
			sel = dkim.DefaultSelector(req.Algorithm, now)
		}
		return Generated{}, &Error{Kind: KindExists, Field: "selector", Err: err,
			Msg: fmt.Sprintf("%s already has a key with the selector %s", domain, sel)}
	}
	if err != nil {
		return Generated{}, wrap(err)
	}
	res := Generated{Key: keyOf(k), Takeover: k.Created.Add(dkim.ActivationDelay)}
	res.Local, res.LocalErr = d.domains.IsLocalDomain(ctx, domain)
	ring, err := d.load(ctx)
	if err != nil {
		return res, nil // the key is made; the notes are a courtesy
	}
	hasRSA := false
	for _, cur := range ring.Active(k.Domain, d.now()) {
		hasRSA = hasRSA || cur.Algorithm == dkim.RSA
		if cur.Algorithm == k.Algorithm && cur.Selector != k.Selector {
			res.StillSigning = append(res.StillSigning, keyOf(cur))
		}
	}
	// RFC 8463 §6: Ed25519 signatures come with RSA ones, which every
	// verifier knows.
	res.WantRSA = k.Algorithm == dkim.Ed25519 && !hasRSA
	return res, nil
}

// load reads the keys.
func (d *DKIM) load(ctx context.Context) (*dkim.Keyring, error) { return dkim.Load(ctx, d.ks) }

// Remove retires the key of domain with selector: it stops signing at
// once (a running server notices within seconds). No such key is
// KindNotFound (Field "selector").
func (d *DKIM) Remove(ctx context.Context, domain, selector string) error {
	return keyError(dkim.Remove(ctx, d.ks, domain, selector), domain, selector)
}

// Export returns the key file of domain with selector (PKCS#8 PEM with
// its Created line): a backup, which Import takes back.
func (d *DKIM) Export(ctx context.Context, domain, selector string) ([]byte, error) {
	data, err := dkim.Export(ctx, d.ks, domain, selector)
	return data, keyError(err, domain, selector)
}

// Imported is what Import did.
type Imported struct {
	Keys    []string // the names of the keys imported
	Skipped []error  // files left where they are, and why
}

// Import moves the key files of earlier versions (<data_dir>/dkim) into
// the store once (dkim.Import: each file is renamed .imported, a selector
// already stored is never replaced).
func (d *DKIM) Import(ctx context.Context, dir string) (Imported, error) {
	keys, skipped, err := dkim.Import(ctx, d.ks, dir)
	return Imported{Keys: keys, Skipped: skipped}, wrap(err)
}

func keyError(err error, domain, selector string) error {
	if errors.Is(err, dkim.ErrNoKey) {
		return &Error{Kind: KindNotFound, Field: "selector", Err: err,
			Msg: fmt.Sprintf("%s has no key with the selector %s", domain, selector)}
	}
	return wrap(err)
}

// KeyState is a key and its role in a rotation.
type KeyState struct {
	Key
	Role     dnsplan.KeyRole
	From     time.Time // dnsplan.KeyNext: when it takes over
	Replaces string    // dnsplan.KeyNext: the selector it takes over from
}

// Keys is the list of a domain's keys.
type Keys struct {
	Keys    []KeyState // newest first
	Skipped []error    // key files left out, and why
}

// List lists the keys of domain (A-label form) with their roles now.
func (d *DKIM) List(ctx context.Context, domain string) (Keys, error) {
	ring, err := d.load(ctx)
	if err != nil {
		return Keys{}, wrap(err)
	}
	out := Keys{Skipped: ring.Skipped()}
	active := ring.Active(domain, d.now())
	for _, k := range ring.Keys(domain) {
		out.Keys = append(out.Keys, keyState(k, active))
	}
	return out, nil
}

// keyState says what a key does in a rotation: it signs; it will sign once
// dkim.ActivationDelay has passed since its creation, so its record must
// be out before then; or a newer key has replaced it.
func keyState(k *dkim.Key, active []*dkim.Key) KeyState {
	ks := KeyState{Key: keyOf(k), Role: dnsplan.KeyReplaced}
	if slices.Contains(active, k) {
		ks.Role = dnsplan.KeySigns
		return ks
	}
	for _, a := range active {
		if a.Algorithm == k.Algorithm && k.Created.After(a.Created) {
			ks.Role, ks.From, ks.Replaces = dnsplan.KeyNext, k.Created.Add(dkim.ActivationDelay), a.Selector
			return ks
		}
	}
	return ks
}
