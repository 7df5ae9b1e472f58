package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Key algorithms (the k= tag of the key record, RFC 6376 §3.6.1, RFC 8463).
const (
	RSA     = "rsa"
	Ed25519 = "ed25519"
)

// rsaBits is the size of new RSA keys: RFC 8301 §3.2 says signers SHOULD
// use at least 2048 bits.
const rsaBits = 2048

// minRSABits is the smallest RSA key loaded for signing (RFC 8301 §3.2:
// signers MUST use at least 1024 bits).
const minRSABits = 1024

// createdPrefix starts the line before the PEM block that holds the
// creation time.
const createdPrefix = "Created: "

// Key is one DKIM signing key of a domain.
type Key struct {
	Domain    string // lower-case A-label form
	Selector  string
	Algorithm string // RSA or Ed25519
	Created   time.Time
	Name      string // the key's name in its KeyStore (KeyName)

	signer crypto.Signer
}

// RecordName is the DNS name of the key record, e.g.
// "rsa-202601._domainkey.example.org" (RFC 6376 §3.6.2.1).
func (k *Key) RecordName() string {
	return k.Selector + "._domainkey." + k.Domain
}

// TXT is the text of the key record: "v=DKIM1; k=rsa; p=..." (RFC 6376
// §3.6.1). RSA keys are SubjectPublicKeyInfo DER in base64, as RFC 6376
// Appendix C makes them with OpenSSL; Ed25519 keys are the 32 octets of
// the public key in base64 (RFC 8463 §4.2).
func (k *Key) TXT() string {
	var p []byte
	switch pub := k.signer.Public().(type) {
	case ed25519.PublicKey:
		p = pub
	default:
		// Marshalling a public key that came from a parsed private key
		// cannot fail for RSA.
		p, _ = x509.MarshalPKIXPublicKey(pub)
	}
	return "v=DKIM1; k=" + k.Algorithm + "; p=" + base64.StdEncoding.EncodeToString(p)
}

// ZoneRecord is the record in zone-file syntax, the text split into
// strings of at most 255 octets: `sel._domainkey.example.org. IN TXT
// "v=DKIM1; k=rsa; p=..." "..."`.
func (k *Key) ZoneRecord() string {
	parts := SplitTXT(k.TXT())
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return k.RecordName() + ". IN TXT " + strings.Join(parts, " ")
}

// SplitTXT splits a TXT record's text into character-strings of at most
// 255 octets (RFC 1035 §3.3.14; RFC 6376 §3.6.2.2: verifiers join them).
func SplitTXT(s string) []string {
	const max = 255
	var parts []string
	for len(s) > max {
		parts = append(parts, s[:max])
		s = s[max:]
	}
	return append(parts, s)
}

// DefaultSelector is the selector of a key made at now without one:
// "rsa-YYYYMM" or "ed-YYYYMM" (UTC).
func DefaultSelector(algorithm string, now time.Time) string {
	prefix := "rsa-"
	if algorithm == Ed25519 {
		prefix = "ed-"
	}
	return prefix + now.UTC().Format("200601")
}

// ErrExists is returned by Generate when the domain already has a key
// with the selector; it matches os.ErrExist.
var ErrExists = fmt.Errorf("a key with this selector exists: %w", os.ErrExist)

// Generate makes a new key for domain (any form mailaddr.CanonicalDomain
// accepts) and stores it in ks, durably (KeyName). algorithm is RSA (also
// when empty: 2048 bits) or Ed25519; an empty selector is
// DefaultSelector's. An existing key is never replaced (ErrExists), also
// when two nodes make one at once.
func Generate(ctx context.Context, ks KeyStore, domain, selector, algorithm string, now time.Time) (*Key, error) {
	d, err := mailaddr.CanonicalDomain(domain)
	if err != nil {
		return nil, err
	}
	if algorithm == "" {
		algorithm = RSA
	}
	if algorithm != RSA && algorithm != Ed25519 {
		return nil, fmt.Errorf("unknown key algorithm %q (want %s or %s)", algorithm, RSA, Ed25519)
	}
	if selector == "" {
		selector = DefaultSelector(algorithm, now)
	}
	selector = strings.ToLower(selector)
	if err := CheckSelector(selector); err != nil {
		return nil, err
	}
	k := &Key{Domain: d, Selector: selector, Algorithm: algorithm, Created: now.UTC()}
	if len(k.RecordName()) > 253 {
		return nil, fmt.Errorf("selector %q: the record name %s is too long for the DNS", selector, k.RecordName())
	}
	k.Name = KeyName(d, selector)
	if _, err := ks.KVLoad(ctx, k.Name); err == nil {
		return nil, ErrExists // before the work of making an RSA key
	}
	if k.signer, err = newPrivateKey(algorithm); err != nil {
		return nil, err
	}
	data, err := encodeKey(k)
	if err != nil {
		return nil, err
	}
	if err := ks.KVCreate(ctx, k.Name, data); store.IsKind(err, store.KindExists) {
		return nil, ErrExists
	} else if err != nil {
		return nil, err
	}
	return k, nil
}

func newPrivateKey(algorithm string) (crypto.Signer, error) {
	if algorithm == Ed25519 {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return rsa.GenerateKey(rand.Reader, rsaBits)
}

// CheckSelector reports whether s is a selector Petrel accepts: dot-
// separated labels of lower-case letters, digits and hyphens (RFC 6376
// §3.1: sub-domain labels of RFC 5321), none starting or ending with a
// hyphen.
func CheckSelector(s string) error {
	if s == "" {
		return errors.New("empty selector")
	}
	for label := range strings.SplitSeq(s, ".") {
		if !validLabel(label) {
			return fmt.Errorf("invalid selector %q: use lower-case letters, digits, hyphens and dots", s)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// encodeKey is the key file: the Created line, then the PKCS#8 PEM block.
func encodeKey(k *Key) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.signer)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("DKIM key of %s, selector %s (Petrel)\n%s%s\n",
		k.Domain, k.Selector, createdPrefix, k.Created.Format(time.RFC3339Nano))
	return append([]byte(head), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...), nil
}

// parseKey reads a key file's contents. modTime is the creation time when
// the file has no Created line (Import adds one).
func parseKey(data []byte, modTime time.Time) (crypto.Signer, string, time.Time, error) {
	created := modTime
	if i := strings.Index(string(data), "-----BEGIN"); i > 0 {
		for line := range strings.Lines(string(data[:i])) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), createdPrefix); ok {
				if t, err := time.Parse(time.RFC3339, v); err == nil {
					created = t
				}
			}
		}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", created, errors.New("no PEM block")
	}
	var parsed any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, "", created, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, "", created, err
	}
	switch key := parsed.(type) {
	case *rsa.PrivateKey:
		if key.N.BitLen() < minRSABits {
			return nil, "", created, fmt.Errorf("RSA key of %d bits, under %d (RFC 8301)", key.N.BitLen(), minRSABits)
		}
		return key, RSA, created, nil
	case ed25519.PrivateKey:
		return key, Ed25519, created, nil
	}
	return nil, "", created, fmt.Errorf("unsupported key type %T (want RSA or Ed25519)", parsed)
}
