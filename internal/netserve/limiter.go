package netserve

import (
	"net/netip"
	"sync"
)

// ClientKey is the client an address belongs to: the address itself for
// IPv4 (and IPv4-mapped IPv6), its /64 for IPv6 (one subscriber's usual
// allocation, so that the addresses of one /64 count as one client). The
// zero Addr (a unix socket peer) is one client of its own. The connection
// limits, the failed-login guard and the refused-recipient counts all key
// clients by it.
func ClientKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return netip.Prefix{}
	case ip.Is4():
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

// Limiter counts concurrent connections in total and per client
// (ClientKey: an IPv4 address or an IPv6 /64). One
// Limiter may be shared by several Servers: the servers of one protocol
// (its STARTTLS and implicit-TLS listeners), or every protocol of a
// process for a per-address limit across all of them.
type Limiter struct {
	name     string
	mu       sync.Mutex
	total    int
	perIP    map[netip.Prefix]int
	maxTotal int
	maxPerIP int
}

// NewLimiter returns a limiter of maxTotal connections in all and maxPerIP
// from one client IP; a bound <= 0 is no bound. name says in logs which
// limit refused a connection.
func NewLimiter(name string, maxTotal, maxPerIP int) *Limiter {
	return &Limiter{name: name, perIP: map[netip.Prefix]int{}, maxTotal: maxTotal, maxPerIP: maxPerIP}
}

// acquire takes a slot for ip, or reports false when a limit is reached.
// An invalid ip (a unix socket peer) counts in the total only.
func (l *Limiter) acquire(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal > 0 && l.total >= l.maxTotal {
		return false
	}
	c := ClientKey(ip)
	if ip.IsValid() && l.maxPerIP > 0 && l.perIP[c] >= l.maxPerIP {
		return false
	}
	l.total++
	if ip.IsValid() {
		l.perIP[c]++
	}
	return true
}

func (l *Limiter) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if !ip.IsValid() {
		return
	}
	c := ClientKey(ip)
	if l.perIP[c]--; l.perIP[c] <= 0 {
		delete(l.perIP, c)
	}
}

// Connections is the number of connections holding a slot now, from any
// of the servers sharing the limiter.
func (l *Limiter) Connections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// limits is the set of limiters a server's connections take a slot in.
type limits []*Limiter

// acquire takes a slot in every limiter for ip; when one is full it gives
// back the slots taken and returns that limiter.
func (ls limits) acquire(ip netip.Addr) (full *Limiter) {
	for i, l := range ls {
		if !l.acquire(ip) {
			ls[:i].release(ip)
			return l
		}
	}
	return nil
}

func (ls limits) release(ip netip.Addr) {
	for _, l := range ls {
		l.release(ip)
	}
}
