package smtpd

import (
	"net/netip"
	"sync"
)

// limiter counts concurrent connections in total and per client IP.
type limiter struct {
	mu       sync.Mutex
	total    int
	perIP    map[netip.Addr]int
	maxTotal int
	maxPerIP int
}

func newLimiter(maxTotal, maxPerIP int) *limiter {
	return &limiter{perIP: map[netip.Addr]int{}, maxTotal: maxTotal, maxPerIP: maxPerIP}
}

// acquire takes a slot for ip, or reports false when a limit is reached.
// An invalid ip (a unix socket peer) counts in the total only.
func (l *limiter) acquire(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal || (ip.IsValid() && l.perIP[ip] >= l.maxPerIP) {
		return false
	}
	l.total++
	if ip.IsValid() {
		l.perIP[ip]++
	}
	return true
}

func (l *limiter) release(ip netip.Addr) {
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
