package netserve

import (
	"net"
	"net/netip"
	"sync"
)

// Listener returns inner with every accepted connection counted in l:
// one over a limit is closed at once, and Accept goes on to the next,
// so that servers that take their connections from a net.Listener (the
// HTTP listeners) are bounded like Server's. A connection's slot is
// given back when it is closed.
func (l *Limiter) Listener(inner net.Listener) net.Listener {
	return &limitedListener{Listener: inner, l: l}
}

type limitedListener struct {
	net.Listener
	l *Limiter
}

func (ll *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if !ll.l.acquire(ip) {
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, l: ll.l, ip: ip}, nil
	}
}

// remoteIP is the peer's address (the zero Addr when it has none).
func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

type limitedConn struct {
	net.Conn
	l    *Limiter
	ip   netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
