package dnsplan

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/spfcheck"
)

// checkSPF: exactly one SPF record at name (RFC 7208 §4.5), and SPF gives
// pass for every public address of the host. helo picks the identity:
// the HELO name (the host's own record, RFC 7208 §2.3), else a sender of
// the domain (§2.4).
func (c *checker) checkSPF(ctx context.Context, name, want string, helo bool) {
	// RFC 7208 §4.5: several records are a permerror.
	rec, ok := c.oneTXT(ctx, "SPF", name, strconv.Quote(want), isSPF, "a permerror for every receiver (RFC 7208 §4.5)")
	if !ok {
		return
	}
	pub := c.p.Public()
	if len(pub) == 0 {
		c.report(StatusOK, "SPF", name, "%q (no public address of %s known to check it with)", rec, c.p.Host)
		return
	}
	var bad []string
	for _, ip := range pub {
		mailFrom, heloRes := spfcheck.Check(ctx, c.r, ip, c.p.Host, "postmaster@"+c.p.Domain)
		res := mailFrom
		if helo {
			res = heloRes
		}
		switch res.Result {
		case spfcheck.Pass:
		case spfcheck.TempError:
			c.report(StatusError, "SPF", name, "evaluating %q for %s failed for now (%s); try again later", rec, ip, res.Reason)
			return
		default:
			bad = append(bad, fmt.Sprintf("%s for %s (%s)", res.Result, ip, res.Reason))
		}
	}
	if len(bad) > 0 {
		c.report(StatusWrong, "SPF", name, "%q gives %s; want pass (e.g. %q)", rec, strings.Join(bad, ", "), want)
		return
	}
	c.report(StatusOK, "SPF", name, "%q passes %s", rec, joinAddrs(pub))
}

// isSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space (RFC 7208 §4.5).
func isSPF(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}
