package mailaddr

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of RFC 5321 §4.5.3.1.
const (
	// MaxLocalLen is the maximum length of a local part in octets
	// (RFC 5321 §4.5.3.1.1).
	MaxLocalLen = 64
	// MaxDomainLen is the maximum length of a domain in octets
	// (RFC 5321 §4.5.3.1.2).
	MaxDomainLen = 255
)

// Address is an email address: a local part and a domain. Local holds the
// local part's content, without the quotes or escapes of a Quoted-string.
// Domain is a domain name or an address literal in brackets.
type Address struct {
	Local, Domain string
}

// IsZero reports whether a is the zero Address, the null reverse-path <>.
func (a Address) IsZero() bool { return a.Local == "" && a.Domain == "" }

// IsDotAtom reports whether the local part is a dot-string (RFC 5321
// §4.1.2), written without quotes: letters, digits and atext symbols,
// with single dots between them.
func (a Address) IsDotAtom() bool { return isDotString(a.Local) }

// IsLiteral reports whether the domain is an address literal
// (RFC 5321 §4.1.3), such as [192.0.2.1] or [IPv6:2001:db8::1].
func (a Address) IsLiteral() bool { return strings.HasPrefix(a.Domain, "[") }

// IsASCII reports whether the address is all ASCII, that is, whether it can
// be sent without the SMTPUTF8 extension (RFC 6531 §3.2).
func (a Address) IsASCII() bool { return isASCII(a.Local) && isASCII(a.Domain) }

// String returns the address in RFC 5321 Mailbox form, quoting the local
// part when it is not a Dot-string (RFC 5321 §4.1.2). The zero Address
// yields "".
func (a Address) String() string {
	if a.IsZero() {
		return ""
	}
	return quoteLocal(a.Local) + "@" + a.Domain
}

// Parse parses an RFC 5321 Mailbox (RFC 5321 §4.1.2, extended by RFC 6531
// §3.3): a Dot-string or Quoted-string local part, "@", and a domain or an
// address literal. Source routes are rejected (see ParsePath).
func Parse(s string) (Address, error) {
	a, err := parseMailbox(s)
	if err != nil {
		return Address{}, fmt.Errorf("invalid address %q: %w", s, err)
	}
	return a, nil
}

func parseMailbox(s string) (Address, error) {
	if s == "" {
		return Address{}, errors.New("empty address")
	}
	if s[0] == '@' {
		return Address{}, errors.New("source routes are not allowed")
	}
	local, rest, err := splitLocal(s)
	if err != nil {
		return Address{}, err
	}
	if err := checkLocal(local); err != nil {
		return Address{}, err
	}
	domain, ok := strings.CutPrefix(rest, "@")
	if !ok {
		return Address{}, errors.New("missing @domain")
	}
	if strings.HasPrefix(domain, "[") {
		if _, err := canonicalLiteral(domain); err != nil {
			return Address{}, err
		}
	} else if err := checkDomain(domain); err != nil {
		return Address{}, err
	}
	return Address{Local: local, Domain: domain}, nil
}

// splitLocal returns the local part's content and the rest of s, which
// starts at the "@" that ends the local part.
func splitLocal(s string) (local, rest string, err error) {
	if s[0] == '"' {
		return unquote(s)
	}
	// A Dot-string contains no "@" (RFC 5321 §4.1.2), so the first one ends it.
	i := strings.IndexByte(s, '@')
	if i < 0 {
		return "", "", errors.New("missing @domain")
	}
	if !isDotString(s[:i]) {
		return "", "", errors.New("local part is not a dot-string; quote it")
	}
	return s[:i], s[i:], nil
}

// checkLocal enforces the rules every local part's content follows,
// however it was written.
func checkLocal(local string) error {
	if local == "" {
		return errors.New("empty local part")
	}
	if err := checkQcontent(local); err != nil {
		return err
	}
	// RFC 5321 §4.5.3.1.1: at most 64 octets.
	if n := len(quoteLocal(local)); n > MaxLocalLen {
		return fmt.Errorf("local part is %d octets, more than %d", n, MaxLocalLen)
	}
	return nil
}

// checkDomain checks a domain name as it appears in a Mailbox: RFC 5321
// Domain syntax with U-labels (RFC 6531 §3.3), at most 255 octets
// (RFC 5321 §4.5.3.1.2), with a valid IDNA lookup form.
func checkDomain(d string) error {
	if len(d) > MaxDomainLen {
		return fmt.Errorf("domain is %d octets, more than %d", len(d), MaxDomainLen)
	}
	if strings.HasSuffix(d, ".") {
		return errors.New("domain ends with a dot")
	}
	_, err := CanonicalDomain(d)
	return err
}

// ParsePath parses an SMTP Reverse-path or Forward-path (RFC 5321 §4.1.2):
// a Mailbox in angle brackets. The null path "<>" yields the zero Address
// and no error. A source route ("<@a,@b:user@c>") is checked and then
// ignored, as RFC 5321 §4.1.1.3 and Appendix C allow a receiver to do.
func ParsePath(s string) (Address, error) {
	inner, ok := strings.CutPrefix(s, "<")
	if ok {
		inner, ok = strings.CutSuffix(inner, ">")
	}
	if !ok {
		return Address{}, fmt.Errorf("invalid path %q: not in angle brackets", s)
	}
	if inner == "" {
		return Address{}, nil
	}
	mailbox, err := stripRoute(inner)
	if err != nil {
		return Address{}, fmt.Errorf("invalid path %q: %w", s, err)
	}
	a, err := parseMailbox(mailbox)
	if err != nil {
		return Address{}, fmt.Errorf("invalid path %q: %w", s, err)
	}
	return a, nil
}

// stripRoute removes an A-d-l source route (RFC 5321 §4.1.2:
// A-d-l = At-domain *( "," At-domain ), followed by ":") from the start of
// a path's content, after checking its syntax.
func stripRoute(s string) (string, error) {
	if !strings.HasPrefix(s, "@") {
		return s, nil
	}
	adl, mailbox, ok := strings.Cut(s, ":")
	if !ok {
		return "", errors.New("source route without ':'")
	}
	for at := range strings.SplitSeq(adl, ",") {
		d, ok := strings.CutPrefix(at, "@")
		if !ok {
			return "", fmt.Errorf("source route element %q does not start with '@'", at)
		}
		if err := checkDomain(d); err != nil {
			return "", fmt.Errorf("source route: %w", err)
		}
	}
	return mailbox, nil
}
