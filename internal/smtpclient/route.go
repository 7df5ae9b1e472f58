package smtpclient

import (
	"context"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// hop is one host to try, in order.
type hop struct {
	host     string // name without the trailing dot, or an IP literal
	port     int
	relay    bool // the relay host: AUTH with the configured credentials
	implicit bool // no MX: the domain itself (RFC 5321 §5.1)
	mx       bool // found by MX lookup (or implicit): TLS policies apply
	mxSecure bool // that lookup was DNSSEC-validated (RFC 7672 §2.2.1)
}

// route returns the hosts to try for domain, or a reply that fails every
// recipient: a static route, the relay host, or the MX hosts.
func (c *Client) route(ctx context.Context, domain string) ([]hop, *smtpreply.Reply) {
	if target, ok := c.routes[normDomain(domain)]; ok {
		return c.staticHop(target, false)
	}
	if c.cfg.Relayhost != "" {
		return c.staticHop(c.cfg.Relayhost, true)
	}
	return c.mxHops(ctx, domain)
}

// normDomain is the form of a domain used as a route key.
func normDomain(d string) string { return strings.ToLower(strings.TrimSuffix(d, ".")) }

// staticHop parses "host:port", "[host]:port" or "host" (the remote port).
func (c *Client) staticHop(target string, relay bool) ([]hop, *smtpreply.Reply) {
	host, port := target, c.cfg.RemotePort
	if h, p, err := net.SplitHostPort(target); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, badRoute(target)
		}
		host, port = h, n
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return nil, badRoute(target)
	}
	return []hop{{host: host, port: port, relay: relay}}, nil
}

// mxHops looks up the MX records of domain (RFC 5321 §5.1): sorted by
// preference, equal preferences shuffled to spread the load; none means
// the domain itself; a null MX (RFC 7505 §3) means no mail at all.
func (c *Client) mxHops(ctx context.Context, domain string) ([]hop, *smtpreply.Reply) {
	mxs, secure, err := c.lookupMX(ctx, domain)
	implicit := []hop{{host: normDomain(domain), port: c.cfg.RemotePort, implicit: true, mx: true, mxSecure: secure}}
	switch {
	case dnsr.KindOf(err) == dnsr.NoData && err != nil:
		return implicit, nil
	case err != nil:
		return nil, dnsFailure(domain, "MX", err)
	case len(mxs) == 0:
		return implicit, nil
	case len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == ""):
		return nil, nullMX(domain)
	}
	shuffleEqual(mxs)
	hops := make([]hop, 0, len(mxs))
	for _, mx := range mxs {
		if h := strings.TrimSuffix(mx.Host, "."); h != "" {
			hops = append(hops, hop{host: h, port: c.cfg.RemotePort, mx: true, mxSecure: secure})
		}
	}
	if len(hops) == 0 {
		return nil, nullMX(domain)
	}
	return hops, nil
}

// shuffleEqual puts the records of each preference (the slice is sorted
// by preference) in random order.
func shuffleEqual(mxs []*net.MX) {
	for i := 0; i < len(mxs); {
		j := i + 1
		for j < len(mxs) && mxs[j].Pref == mxs[i].Pref {
			j++
		}
		group := mxs[i:j]
		rand.Shuffle(len(group), func(a, b int) { group[a], group[b] = group[b], group[a] })
		i = j
	}
}
