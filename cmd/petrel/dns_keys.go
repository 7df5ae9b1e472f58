package main

import (
	"cmp"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dkimRecord is the DNS side of one DKIM key: where its record lives and
// what it says.
type dkimRecord struct {
	name string // "sel._domainkey.example.org", without the trailing dot
	txt  string // "v=DKIM1; k=rsa; p=..."
}

// selector is the selector of the record's name (RFC 6376 §3.6.2.1).
func (r dkimRecord) selector() string {
	sel, _, _ := strings.Cut(r.name, "._domainkey.")
	return sel
}

// dkimKeys returns the DKIM records of a domain, newest key first.
type dkimKeys func(domain string) ([]dkimRecord, error)

// dkimKeyFiles reads the keys <dir>/<domain>/<selector>.pem (PKCS#8, or
// PKCS#1 for RSA) and makes their records: p= is the public key, for RSA
// its SubjectPublicKeyInfo DER (RFC 6376 §3.6.1), for Ed25519 the 32 raw
// octets (RFC 8463 §4.2). Newest first by modification time.
func dkimKeyFiles(dir string) dkimKeys {
	return func(domain string) ([]dkimRecord, error) {
		entries, err := os.ReadDir(filepath.Join(dir, domain))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		type key struct {
			rec  dkimRecord
			time int64
		}
		var keys []key
		for _, e := range entries {
			sel, ok := strings.CutSuffix(e.Name(), ".pem")
			if !ok || e.IsDir() {
				continue
			}
			path := filepath.Join(dir, domain, e.Name())
			txt, err := dkimKeyTXT(path)
			if err != nil {
				return nil, err
			}
			info, err := e.Info()
			if err != nil {
				return nil, err
			}
			keys = append(keys, key{dkimRecord{sel + "._domainkey." + domain, txt}, info.ModTime().UnixNano()})
		}
		slices.SortFunc(keys, func(a, b key) int {
			return cmp.Or(cmp.Compare(b.time, a.time), strings.Compare(a.rec.name, b.rec.name))
		})
		out := make([]dkimRecord, len(keys))
		for i, k := range keys {
			out[i] = k.rec
		}
		return out, nil
	}
}

// dkimKeyTXT returns the key record of the private key in a PEM file.
func dkimKeyTXT(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return "", fmt.Errorf("%s: no PEM block", path)
	}
	var priv any
	if priv, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if priv, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return "", fmt.Errorf("%s: not a PKCS#8 or PKCS#1 private key", path)
		}
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return "", fmt.Errorf("%s: unsupported key type", path)
	}
	switch pub := signer.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", fmt.Errorf("%s: unsupported key type (want RSA or Ed25519)", path)
}
