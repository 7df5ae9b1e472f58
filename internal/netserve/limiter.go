package netserve

import (
	"net/netip"
	"sync"
)

// Limiter counts concurrent connections in total and per client IP. One
// Limiter may be shared by several Servers: the servers of one protocol
// (its STARTTLS and implicit-TLS listeners), or every protocol of a
// process for a per-address limit across all of them.
type Limiter struct {
	name     string
	mu       sync.Mutex
	total    int
	perIP    map[netip.Addr]int
	maxTotal int
	maxPerIP int
}

// NewLimiter returns a limiter of maxTotal connections in all and maxPerIP
// from one client IP; a bound <= 0 is no bound. name says in logs which
// limit refused a connection.
func NewLimiter(name string, maxTotal, maxPerIP int) *Limiter {
	return &Limiter{name: name, perIP: map[netip.Addr]int{}, maxTotal: maxTotal, maxPerIP: maxPerIP}
}

// acquire takes a slot for ip, or reports false when a limit is reached.
// An invalid ip (a unix socket peer) counts in the total only.
func (l *Limiter) acquire(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal > 0 && l.total >= l.maxTotal {
		return false
	}
	if ip.IsValid() && l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP {
		return false
	}
	l.total++
	if ip.IsValid() {
		l.perIP[ip]++
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
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
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
