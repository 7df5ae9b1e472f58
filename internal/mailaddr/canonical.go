package mailaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// lookupProfile is the IDNA profile for domains: the UTS #46 lookup profile
// (RFC 5891 §5), non-transitional, with the Bidi rule (RFC 5893) and the
// DNS length checks (labels of 1-63 octets, names of at most 253). It is
// built per call so that the package holds no mutable state.
func lookupProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.Transitional(false),
		idna.BidiRule(),
		idna.VerifyDNSLength(true),
	)
}

// CanonicalDomain returns the canonical form of a domain name: its A-label
// form (RFC 5890 §2.3.2.1) per UTS #46 lookup processing, lower case,
// without a trailing dot. One trailing dot is removed; invalid names and
// address literals are rejected.
func CanonicalDomain(d string) (string, error) {
	name := strings.TrimSuffix(d, ".")
	if name == "" {
		return "", fmt.Errorf("invalid domain %q: empty", d)
	}
	if !utf8.ValidString(name) {
		// Checked here: the idna package maps invalid bytes to U+FFFD.
		return "", fmt.Errorf("invalid domain %q: not valid UTF-8", d)
	}
	if strings.HasPrefix(name, "[") {
		return "", fmt.Errorf("invalid domain %q: an address literal is not a domain name", d)
	}
	ascii, err := lookupProfile().ToASCII(name)
	if err != nil {
		return "", fmt.Errorf("invalid domain %q: %w", d, err)
	}
	if strings.HasSuffix(ascii, ".") {
		// A character that maps to a dot (such as U+3002) ended the name.
		return "", fmt.Errorf("invalid domain %q: empty label", d)
	}
	return ascii, nil
}

// DisplayDomain returns a domain in its U-label form (RFC 5890 §2.3.2.1),
// for humans. A name that cannot be converted is returned unchanged.
func DisplayDomain(d string) string {
	u, err := idna.Display.ToUnicode(d)
	if err != nil {
		return d
	}
	return u
}

// Canonical returns the form of a used for matching and storage: the
// domain in canonical form (CanonicalDomain, or a normalised address
// literal), and the local part NFC-normalised and lower-cased. Local parts
// are case-insensitive in Petrel's own domains (RFC 5321 §2.4 leaves this
// to the domain's owner); a quoted local part keeps its content and prints
// without quotes when that content is a Dot-string.
func Canonical(a Address) (Address, error) {
	if a.IsZero() {
		return Address{}, errors.New("invalid address: empty")
	}
	if err := checkQcontent(a.Local); err != nil {
		return Address{}, fmt.Errorf("invalid address %q: %w", a.String(), err)
	}
	if a.Local == "" {
		return Address{}, fmt.Errorf("invalid address %q: empty local part", a.String())
	}
	var domain string
	var err error
	if a.IsLiteral() {
		domain, err = canonicalLiteral(a.Domain)
	} else {
		domain, err = CanonicalDomain(a.Domain)
	}
	if err != nil {
		return Address{}, fmt.Errorf("invalid address %q: %w", a.String(), err)
	}
	return Address{Local: CanonicalLocal(a.Local), Domain: domain}, nil
}

// CanonicalLocal returns a local part's content in the form used for
// matching: NFC-normalised (RFC 6530 §10.1) and lower-cased.
func CanonicalLocal(local string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(local)))
}

// SplitSubaddress splits a local part at the first occurrence of sep:
// "user+tag" gives "user" and "tag" (RFC 5233 §1 describes the convention).
// An empty sep disables subaddressing, and a local part that starts with sep
// or does not contain it is returned whole with an empty tag.
func SplitSubaddress(local, sep string) (base, tag string) {
	if sep == "" {
		return local, ""
	}
	i := strings.Index(local, sep)
	if i <= 0 {
		return local, ""
	}
	return local[:i], local[i+len(sep):]
}
