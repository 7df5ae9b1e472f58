package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// HTTP configures the web pages of listen.https (README "Web and API").
type HTTP struct {
	// AdminNetworks, when not empty, are the only client networks the
	// web admin (/admin/) and the admin API (/api/v1/) answer: CIDR
	// prefixes ("192.0.2.0/24") or single addresses. The account page
	// (/account/) answers everyone.
	AdminNetworks []string `toml:"admin_networks"`
	// MaxConnections and MaxConnectionsPerIP bound the connections of
	// listen.https and listen.http_acme together, in all and from one
	// client (an IPv4 address or an IPv6 /64); one over is closed at once.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
}

// AdminPrefixes returns AdminNetworks parsed (validate refuses what does
// not parse); a single address is its /32 or /128.
func (h *HTTP) AdminPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range h.AdminNetworks {
		if p, err := parseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parseNetwork(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

func (h *HTTP) validate(p *problems) {
	for i, s := range h.AdminNetworks {
		if _, err := parseNetwork(s); err != nil {
			p.add(fmt.Sprintf("http.admin_networks[%d]", i), "%q is not an IP address or CIDR prefix", s)
		}
	}
	positive(p, "http.max_connections", h.MaxConnections)
	positive(p, "http.max_connections_per_ip", h.MaxConnectionsPerIP)
}
