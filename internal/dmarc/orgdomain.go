package dmarc

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// PSLVersion names the public suffix list that OrgDomain uses: the copy
// compiled into golang.org/x/net/publicsuffix (x/net v0.62.0 holds
// publicsuffix.org's public_suffix_list.dat at git revision d6c92f1bbb74,
// 2026-02-06). It changes when x/net is upgraded.
func PSLVersion() string { return publicsuffix.List.String() }

// OrgDomain returns the Organizational Domain of a domain (RFC 7489 §3.2):
// its public suffix plus one label. domain is in lower-case A-label form
// (the list holds A-labels), without a trailing dot.
//
// The whole public suffix list is used, its ICANN section and its private
// one (PublicSuffix's icann flag is not consulted): RFC 7489 §3.2 takes
// "a public suffix list", and the private entries (github.io, blogspot.com,
// ...) are where unrelated parties register names, so two such names must
// not be in relaxed alignment with each other. A name under a top-level
// domain that is not in the list falls under the list's implicit "*" rule:
// its suffix is the last label and its Organizational Domain the last two.
// A name that is itself a public suffix is its own Organizational Domain.
func OrgDomain(domain string) string {
	suffix, _ := publicsuffix.PublicSuffix(domain)
	if len(suffix) >= len(domain) || !strings.HasSuffix(domain, "."+suffix) {
		return domain
	}
	rest := domain[:len(domain)-len(suffix)-1]
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix
}

// Aligned reports whether an authenticated domain (SPF's MAIL FROM or
// HELO domain, DKIM's d=) is aligned with the From domain (RFC 7489
// §3.1.1, §3.1.2): the same name in strict mode, the same Organizational
// Domain in relaxed mode. Both are in lower-case A-label form.
func Aligned(authDomain, fromDomain string, mode Alignment) bool {
	if authDomain == "" || fromDomain == "" {
		return false
	}
	if authDomain == fromDomain {
		return true
	}
	return mode != Strict && OrgDomain(authDomain) == OrgDomain(fromDomain)
}
