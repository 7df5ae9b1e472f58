package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

func (d *Delivery) validate(p *problems) {
	positive(p, "delivery.max_message_size", d.MaxMessageSize)
	if d.Postmaster != "" {
		if a, err := mailaddr.Parse(d.Postmaster); err != nil || a.IsZero() {
			p.add("delivery.postmaster", "%q is not a valid address", d.Postmaster)
		}
	}
	if d.Relayhost != "" {
		hostPort(p, "delivery.relayhost", d.Relayhost)
	}
	switch {
	case (d.RelayUser == "") != (d.RelayPassword == ""):
		p.add("delivery.relay_user", "relay_user and relay_password go together (both or neither)")
	case d.RelayUser != "" && d.Relayhost == "":
		p.add("delivery.relay_user", "credentials without delivery.relayhost")
	}
	if d.RemotePort < 1 || d.RemotePort > 65535 {
		p.add("delivery.remote_port", "%d: port out of range (1-65535)", d.RemotePort)
	}
	if len(d.Retry) == 0 {
		p.add("delivery.retry", "must list at least one interval")
	}
	for i, r := range d.Retry {
		positive(p, fmt.Sprintf("delivery.retry[%d]", i), r)
	}
	positive(p, "delivery.max_queue_time", d.MaxQueueTime)
	positive(p, "delivery.delay_warning", d.DelayWarning)
	positive(p, "delivery.attempt_timeout", d.AttemptTimeout)
	if d.ClaimLease < Duration(time.Second) {
		p.add("delivery.claim_lease", "%v: must be at least 1s", d.ClaimLease)
	}
	domains := make([]string, 0, len(d.Routes))
	for domain := range d.Routes {
		domains = append(domains, domain)
	}
	slices.Sort(domains)
	for _, domain := range domains {
		key := routeKey(domain)
		if !validDomain(domain) {
			p.add(key, "%q is not a valid domain name", domain)
			continue
		}
		hostPort(p, key, d.Routes[domain])
	}
}

// hostPort checks that s is a host:port with a host, and reports whether
// it is.
func hostPort(p *problems, key, s string) bool {
	if why := hostPortProblem(s, true); why != "" {
		p.add(key, "%q: invalid host:port (%s)", s, why)
		return false
	}
	return true
}
