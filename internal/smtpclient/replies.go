package smtpclient

import (
	"fmt"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// The replies the client makes up when the remote server did not give
// one. Their text names hosts and situations, never Go error text.

// nullMX: the domain publishes a null MX (RFC 7505 §3); 556 is the reply
// code of RFC 7504 §3 ("domain does not accept mail"), 5.1.10 the status
// of RFC 7505 §4.2.
func nullMX(domain string) *smtpreply.Reply {
	return smtpreply.New(556, smtpreply.Enhanced{5, 1, 10}, "Domain %s does not accept mail (null MX)", domain)
}

// dnsFailure: a lookup failed. NXDOMAIN or no address records are
// permanent (RFC 3463 X.1.2, bad destination system address); anything
// else is a temporary directory failure (X.4.3).
func dnsFailure(name, typ string, err error) *smtpreply.Reply {
	switch dnsr.KindOf(err) {
	case dnsr.NXDomain:
		return smtpreply.New(550, smtpreply.Enhanced{5, 1, 2}, "Host or domain name not found: %s (%s lookup: no such domain)", name, typ)
	case dnsr.NoData:
		return smtpreply.New(550, smtpreply.Enhanced{5, 1, 2}, "Host or domain name not found: %s has no %s records", name, typ)
	}
	return smtpreply.New(451, smtpreply.Enhanced{4, 4, 3}, "Temporary DNS failure looking up %s records of %s", typ, name)
}

// badRoute: a static route or relay host that cannot be parsed is a
// configuration mistake the administrator can fix: temporary.
func badRoute(target string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 3, 5}, "Bad route %q in the configuration", target)
}

// noAnswer: the connection failed or broke (RFC 3463 X.4.1 / X.4.2).
func noAnswer(host string, ip netip.Addr, port int) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 4, 1}, "No answer from %s", hostAddr(host, ip, port))
}

// badDataReply: the server answered DATA with a 2xx instead of 354 (RFC
// 3463 X.5.0, a protocol error); its text is not repeated.
func badDataReply(host string, ip netip.Addr, port int, r *smtpreply.Reply) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 5, 0}, "%s answered DATA with %d instead of 354", hostAddr(host, ip, port), r.Code)
}

func lostConnection(host string, ip netip.Addr, port int, during string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 4, 2}, "Lost connection with %s while %s", hostAddr(host, ip, port), during)
}

// tlsRequired: TLS was required (RequireTLS, or a relay host with
// credentials) and is not available (RFC 3463 X.7.10).
func tlsRequired(host string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 10}, "TLS is required but not available with %s", host)
}

// tooBig: the server's SIZE limit (RFC 1870 §6.1, RFC 3463 X.3.4).
func tooBig(host string, size, limit int64) *smtpreply.Reply {
	return smtpreply.New(552, smtpreply.Enhanced{5, 3, 4}, "Message of %d octets exceeds the size limit of %d octets of %s", size, limit, host)
}

// needsUTF8: the message needs SMTPUTF8 and the server does not offer it
// (RFC 6531 §3.2; statuses of RFC 6533 §3: 5.6.7 for non-ASCII addresses,
// 5.6.9 for UTF-8 header fields).
func needsUTF8(host string, addresses bool) *smtpreply.Reply {
	if addresses {
		return smtpreply.New(553, smtpreply.Enhanced{5, 6, 7}, "%s does not support SMTPUTF8, which the non-ASCII addresses of this message need", host)
	}
	return smtpreply.New(553, smtpreply.Enhanced{5, 6, 9}, "%s does not support SMTPUTF8, which the UTF-8 header fields of this message need", host)
}

// authFailed: the relay host refused our credentials; the administrator
// fixes them, so it is temporary (RFC 4954 §6, X.7.8).
func authFailed(host string, r *smtpreply.Reply) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 8}, "Authentication with %s failed: %d %s", host, r.Code, r.Text)
}

// noMechanism: the relay host offers AUTH but not PLAIN (RFC 3463 X.7.8).
func noMechanism(host string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 8}, "%s offers no AUTH mechanism this client supports (PLAIN)", host)
}

func hostAddr(host string, ip netip.Addr, port int) string {
	if !ip.IsValid() {
		return fmt.Sprintf("%s port %d", host, port)
	}
	return fmt.Sprintf("%s[%s]:%d", host, ip, port)
}
