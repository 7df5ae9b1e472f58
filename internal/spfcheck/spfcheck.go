package spfcheck

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"blitiri.com.ar/go/spf"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Timeout bounds one identity's whole evaluation. RFC 7208 §4.6.4: "MAY
// impose a limit on the total amount of elapsed time ... at least 20
// seconds"; each query is further bounded by the resolver's own timeout.
const Timeout = 20 * time.Second

// Results (RFC 7208 §8), as they appear in Authentication-Results.
const (
	None      = "none"
	Neutral   = "neutral"
	Pass      = "pass"
	Fail      = "fail"
	SoftFail  = "softfail"
	TempError = "temperror"
	PermError = "permerror"
)

// Identities checked (RFC 7208 §2.3, §2.4).
const (
	MailFrom = "mailfrom"
	Helo     = "helo"
)

// Result is the outcome of checking one identity.
type Result struct {
	// Result is one of the RFC 7208 §8 keywords above.
	Result string
	// Identity is MailFrom or Helo.
	Identity string
	// Domain is the domain checked, in lower-case A-label form: the MAIL
	// FROM domain, or the HELO name for the HELO identity and for a null
	// reverse-path. Empty when there was no domain to check.
	Domain string
	// Sender is the <sender> of check_host() (RFC 7208 §4.1): the MAIL
	// FROM address (with its domain as in Domain), or postmaster@<HELO>
	// for the null reverse-path and the HELO identity. It is the
	// smtp.mailfrom value of RFC 8601 §2.7.2; the HELO identity's
	// smtp.helo value is Domain.
	Sender string
	// Reason is a short, stable explanation (for a comment in
	// Authentication-Results, and logs); it never holds DNS error text.
	Reason string
}

// Resolver is the DNS the check needs; *dnsr.Resolver satisfies it. Errors
// are classified with dnsr.IsNotFound and dnsr.IsTemporary.
type Resolver interface {
	LookupMX(ctx context.Context, domain string) ([]*net.MX, error)
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error)
}

// Check evaluates SPF for a client at ip that said helo (the EHLO/HELO
// argument) and gave mailFrom as its reverse-path (the address without
// angle brackets; "" for the null reverse-path <>). It returns the MAIL
// FROM and the HELO results; with a null reverse-path the MAIL FROM result
// is the HELO check under the MailFrom identity (RFC 7208 §2.4: the same
// check_host() arguments). Each check takes at most Timeout, or less if
// ctx ends first; the two run concurrently.
func Check(ctx context.Context, r Resolver, ip netip.Addr, helo, mailFrom string) (mailfrom, heloRes Result) {
	ip = ip.Unmap()
	h := heloIdentity(helo)
	m, null := mailFromIdentity(mailFrom, h)
	if null {
		heloRes = h.check(ctx, r, ip)
		mailfrom = heloRes
		mailfrom.Identity = MailFrom
		return mailfrom, heloRes
	}
	var wg sync.WaitGroup
	wg.Go(func() { heloRes = h.check(ctx, r, ip) })
	mailfrom = m.check(ctx, r, ip)
	wg.Wait()
	return mailfrom, heloRes
}

// identity is what check_host() gets for one identity (RFC 7208 §4.1),
// or why it cannot be checked.
type identity struct {
	name   string // MailFrom or Helo
	domain string // <domain>, checkable form; "" if none
	sender string // <sender>
	helo   string // the HELO domain, for the %{h} macro
	why    string // not checkable: the reason for none
}

// heloIdentity returns the HELO identity: <domain> is the HELO name and
// <sender> postmaster@<domain> (RFC 7208 §2.3). An address literal or a
// name that is not fully qualified cannot be checked (none).
func heloIdentity(helo string) identity {
	helo = strings.TrimSpace(helo)
	id := identity{name: Helo, helo: helo}
	_, ipErr := netip.ParseAddr(helo)
	switch {
	case helo == "":
		id.why = "no HELO name"
	case strings.HasPrefix(helo, "[") || ipErr == nil:
		id.why = "HELO is an address literal"
	default:
		d, ok := checkDomain(helo)
		if !ok {
			id.why = "HELO is not a fully qualified domain name"
			break
		}
		id.domain, id.sender, id.helo = d, "postmaster@"+d, d
	}
	return id
}

// mailFromIdentity returns the MAIL FROM identity, and true for the null
// reverse-path, which is checked as the HELO identity (RFC 7208 §2.4). A
// sender without a local part is postmaster (§4.3); a domain that is
// malformed or single-label cannot be checked (none, §4.3).
func mailFromIdentity(addr string, h identity) (identity, bool) {
	id := identity{name: MailFrom, helo: h.helo}
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">")
	if addr == "" {
		return id, true
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		id.why = "MAIL FROM has no domain"
		return id, false
	}
	local, raw := addr[:at], addr[at+1:]
	if local == "" {
		local = "postmaster"
	}
	d, ok := checkDomain(raw)
	switch {
	case strings.HasPrefix(raw, "["):
		id.why = "MAIL FROM domain is an address literal"
	case !ok:
		id.why = "MAIL FROM domain is not a valid FQDN"
	default:
		id.domain, id.sender = d, local+"@"+d
	}
	return id, false
}

// check runs check_host() (RFC 7208 §4) for the identity within Timeout.
func (id identity) check(ctx context.Context, r Resolver, ip netip.Addr) Result {
	res := Result{Result: None, Identity: id.name, Domain: id.domain, Sender: id.sender, Reason: id.why}
	switch {
	case id.why != "":
		return res
	case !ip.IsValid():
		res.Result, res.Reason = PermError, "invalid client address"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	result, err := spf.CheckHostWithSender(net.IP(ip.AsSlice()), id.helo, id.sender,
		spf.WithContext(ctx), spf.WithResolver(adapter{r}))
	res.Result = string(result)
	res.Reason = reasonOf(spf.Result(res.Result), err)
	return res
}

// checkDomain returns d in lower-case A-label form without a trailing dot,
// and false if it is malformed or not a multi-label name (RFC 7208 §4.3):
// an empty label, a label longer than 63 octets, a name longer than 253,
// or a character that is not allowed in a host name label (underscores
// are allowed: they occur in DNS names).
func checkDomain(d string) (string, bool) {
	d = strings.TrimSuffix(d, ".")
	if strings.ContainsFunc(d, func(r rune) bool { return r >= 0x80 }) {
		a, err := mailaddr.CanonicalDomain(d)
		if err != nil {
			return "", false
		}
		d = a
	}
	d = strings.ToLower(d)
	if len(d) > 253 {
		return "", false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", false
		}
	}
	return d, true
}
