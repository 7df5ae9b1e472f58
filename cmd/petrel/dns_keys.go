package main

import (
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
)

// dkimRecord is the DNS side of one DKIM key: where its record lives,
// what it says, and whether the key signs.
type dkimRecord struct {
	name string // "sel._domainkey.example.org", without the trailing dot
	txt  string // "v=DKIM1; k=rsa; p=..."
	role string // "signs now", ... (a comment for the operator)
}

// selector is the selector of the record's name (RFC 6376 §3.6.2.1).
func (r dkimRecord) selector() string {
	sel, _, _ := strings.Cut(r.name, "._domainkey.")
	return sel
}

// dkimKeys returns the DKIM records of a domain, newest key first.
type dkimKeys func(domain string) ([]dkimRecord, error)

// dkimKeyring gives the records of the keys of ring (read from the store,
// internal/dkim); warn gets the values it left out. now decides which
// keys sign.
func dkimKeyring(ring *dkim.Keyring, now time.Time, warn func(error)) dkimKeys {
	return func(domain string) ([]dkimRecord, error) {
		for _, e := range ring.Skipped() {
			warn(e)
		}
		active := ring.Active(domain, now)
		var out []dkimRecord
		for _, k := range ring.Keys(domain) {
			out = append(out, dkimRecord{name: k.RecordName(), txt: k.TXT(), role: keyRole(k, active)})
		}
		return out, nil
	}
}

// keyRole says what a key does in a rotation: it signs; it will sign once
// dkim.ActivationDelay has passed since its creation, so its record must
// be out before then; or a newer key has replaced it.
func keyRole(k *dkim.Key, active []*dkim.Key) string {
	if slices.Contains(active, k) {
		return "signs now"
	}
	for _, a := range active {
		if a.Algorithm == k.Algorithm && k.Created.After(a.Created) {
			return "signs from " + k.Created.Add(dkim.ActivationDelay).UTC().Format("2006-01-02 15:04 MST") +
				" in place of " + a.Selector + ": publish it before then"
		}
	}
	return "replaced by a newer key: keep the record a few days for mail in transit, then remove it and the key (petrel dkim remove " +
		k.Domain + " " + k.Selector + ")"
}
