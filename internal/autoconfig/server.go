package autoconfig

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Protocol is a mail protocol a client is configured for.
type Protocol int

// The protocols clients are told about.
const (
	IMAP       Protocol = iota // RFC 9051
	POP3                       // RFC 1939
	Submission                 // RFC 6409: SMTP with AUTH, for sending
)

// String is the protocol's name as the documents spell it.
func (p Protocol) String() string {
	switch p {
	case IMAP:
		return "IMAP"
	case POP3:
		return "POP3"
	}
	return "SMTP"
}

// Security is how a client secures its connection.
type Security int

const (
	// ImplicitTLS: TLS from the first octet (RFC 8314 §3.2, §3.3).
	ImplicitTLS Security = iota
	// STARTTLS: plain text, then STARTTLS (RFC 3207, RFC 2595 §3.2).
	STARTTLS
)

// String names the mode as mail clients show it.
func (s Security) String() string {
	if s == ImplicitTLS {
		return "SSL/TLS"
	}
	return "STARTTLS"
}

// Endpoint is one way to reach a protocol: a port and how it is secured.
// Clients authenticate with the full email address and its password (or
// an app password) in the clear inside TLS (SASL PLAIN, IMAP LOGIN, POP3
// USER/PASS): Petrel stores password hashes, which rule out the
// challenge-response mechanisms.
type Endpoint struct {
	Protocol Protocol
	Port     uint16
	Security Security
	Key      string // the listen key it comes from: "listen.imaps"
}

// Server is what clients are told: the host they connect to and its
// endpoints in order of preference.
type Server struct {
	// Hostname is the host clients connect to (lower case, no trailing
	// dot): the name the server's certificate is for.
	Hostname string
	// Incoming: IMAP before POP3 (RFC 6186 §3.4), implicit TLS before
	// STARTTLS (RFC 8314 §5.1).
	Incoming []Endpoint
	// Outgoing: submissions (465) before submission (587), RFC 8314 §5.1.
	Outgoing []Endpoint
}

// listener is one client listen key, as FromListen reads it.
type listener struct {
	key   string
	addrs []string
	std   uint16 // the well-known port (RFC 8314 §7.3, RFC 6409 §3.1)
	ep    Endpoint
}

// FromConfig describes the listeners of cfg (see FromListen).
func FromConfig(cfg *config.Config) Server { return FromListen(cfg.Hostname, cfg.Listen) }

// FromListen describes the client listeners of l on host hostname. A
// protocol is advertised when its listen key names an address, and never
// otherwise. The port of a key is its well-known port when one of its
// addresses uses it, else the first address's: a key on another port
// behind a port forward advertises the port it listens on (README
// "Client autoconfiguration"). TLS needs no setting: every listener has a
// certificate (tls.cert or the self-signed one), so STARTTLS is always
// offered on the plain ports.
func FromListen(hostname string, l config.Listen) Server {
	host := strings.ToLower(strings.TrimSuffix(hostname, "."))
	if d, err := mailaddr.CanonicalDomain(host); err == nil {
		host = d
	}
	s := Server{Hostname: host}
	listeners := []listener{
		{"listen.imaps", l.IMAPS, 993, Endpoint{Protocol: IMAP, Security: ImplicitTLS}},
		{"listen.imap", l.IMAP, 143, Endpoint{Protocol: IMAP, Security: STARTTLS}},
		{"listen.pop3s", l.POP3S, 995, Endpoint{Protocol: POP3, Security: ImplicitTLS}},
		{"listen.pop3", l.POP3, 110, Endpoint{Protocol: POP3, Security: STARTTLS}},
		{"listen.submissions", l.Submissions, 465, Endpoint{Protocol: Submission, Security: ImplicitTLS}},
		{"listen.submission", l.Submission, 587, Endpoint{Protocol: Submission, Security: STARTTLS}},
	}
	for _, li := range listeners {
		port, ok := pickPort(li.addrs, li.std)
		if !ok {
			continue
		}
		ep := li.ep
		ep.Port, ep.Key = port, li.key
		if ep.Protocol == Submission {
			s.Outgoing = append(s.Outgoing, ep)
		} else {
			s.Incoming = append(s.Incoming, ep)
		}
	}
	return s
}

// pickPort returns the port clients use for addrs: std when an address
// uses it, else the first address's port.
func pickPort(addrs []string, std uint16) (uint16, bool) {
	var ports []uint16
	for _, hp := range addrs {
		_, port, err := net.SplitHostPort(hp)
		if err != nil {
			continue
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			continue
		}
		ports = append(ports, uint16(n))
	}
	switch {
	case len(ports) == 0:
		return 0, false
	case slices.Contains(ports, std):
		return std, true
	}
	return ports[0], true
}

// first returns the first endpoint of eps for protocol p (any protocol
// when p < 0).
func first(eps []Endpoint, p Protocol) (Endpoint, bool) {
	for _, ep := range eps {
		if p < 0 || ep.Protocol == p {
			return ep, true
		}
	}
	return Endpoint{}, false
}
