package smtpclient

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/mime7bit"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// session is one connection to one address of a hop.
type session struct {
	c   *Client
	hop hop
	ip  netip.Addr
	m   *Message

	conn    *conn
	ext     extensions
	tls     string
	useTLS  bool // STARTTLS when offered (false on the retry after a failed handshake)
	reached bool // the server greeted us
	pol     *tlsPolicy
	// The TLS of the session (starttls.go, report.go): STARTTLS was
	// tried, not offered, the handshake failed (tlsErr), the certificate
	// was checked and passed (verified) or not (verifyErr); reused: a
	// cached connection, whose TLS was reported when it was made.
	tlsTried, noSTARTTLS, verified, reused bool
	tlsErr, verifyErr                      error
	// plan converts the body in DATA: to 7 bits for a server without
	// 8BITMIME, lines over 998 octets for any (downgrade.go).
	plan *mime7bit.Plan
}

// outcome is what one session came to.
type outcome struct {
	// next: nothing was decided, try the next address; reply says why.
	next  bool
	reply *smtpreply.Reply
	// per holds the reply for each recipient when the session decided.
	per []*smtpreply.Reply
	// tlsFailed: the TLS handshake failed; try this address again without.
	tlsFailed bool
	err       error // for the log only
}

func retry(r *smtpreply.Reply, err error) outcome { return outcome{next: true, reply: r, err: err} }

// decided gives every recipient the same reply.
func decided(n int, r *smtpreply.Reply) outcome {
	per := make([]*smtpreply.Reply, n)
	for i := range per {
		per[i] = r
	}
	return outcome{reply: r, per: per}
}

// run delivers on a cached connection to the same host when there is one,
// else connects; afterwards the connection is cached or closed.
func (s *session) run(ctx context.Context) outcome {
	if out, ok := s.reuse(ctx); ok {
		return out
	}
	cfg := &s.c.cfg
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(s.ip, uint16(s.hop.port)).String())
	if err != nil {
		return retry(noAnswer(s.hop.host, s.ip, s.hop.port), err)
	}
	s.conn = newConn(nc)
	stop := context.AfterFunc(ctx, func() { _ = s.conn.nc.SetDeadline(time.Now()) })
	out := s.converse()
	s.finish(out, stop)
	return out
}

// reuse runs the transaction on a cached connection. ok is false when
// there is none, or when the server had closed it (no reply, or 421)
// before the transaction got anywhere: the caller then connects afresh.
func (s *session) reuse(ctx context.Context) (outcome, bool) {
	if s.c.cache == nil {
		return outcome{}, false
	}
	ic := s.c.cache.get(s.key())
	if ic == nil {
		return outcome{}, false
	}
	s.conn, s.ext, s.tls, s.reached, s.verified, s.reused = ic.conn, ic.ext, ic.tls, true, ic.verified, true
	stop := context.AfterFunc(ctx, func() { _ = s.conn.nc.SetDeadline(time.Now()) })
	before := s.conn.replies
	out, ok := s.check()
	if ok {
		out = s.transaction()
	}
	// Nothing decided and no answer, or a 421 (a server that closes idle
	// connections says so first): the server had given up the connection.
	stale := out.next && (s.conn.replies == before || s.conn.last == 421)
	if stale && ctx.Err() == nil {
		stop()
		_ = s.conn.nc.Close()
		s.conn, s.ext, s.tls, s.reached, s.verified, s.reused = nil, extensions{}, "", false, false, false
		return outcome{}, false
	}
	s.finish(out, stop)
	return out, true
}

func (s *session) key() cacheKey {
	return cacheKey{ip: s.ip, port: s.hop.port, host: s.hop.host, useTLS: s.useTLS, relay: s.hop.relay,
		policy: s.pol.key()}
}

// finish caches the connection after a transaction that ended cleanly and
// a positive RSET (RFC 5321 §4.1.1.5), else ends it: with QUIT, except
// after a timeout, a broken connection or a 421.
func (s *session) finish(out outcome, stop func() bool) {
	alive := stop() // false: ctx ended and the deadline was cut
	clean := out.err == nil && (out.reply == nil || out.reply.Code != 421)
	if alive && clean && !out.next && out.per != nil && s.c.cache != nil {
		if r, err := s.conn.cmd("RSET", min(s.c.cfg.CommandTimeout, 5*time.Second)); err == nil && r.Positive() {
			_ = s.conn.nc.SetDeadline(time.Time{})
			if s.c.cache.put(s.key(), &idleConn{conn: s.conn, ext: s.ext, tls: s.tls, verified: s.verified}) {
				return
			}
		}
	}
	if clean {
		s.quit()
	}
	_ = s.conn.nc.Close()
}

// converse runs the session after the connection is made.
func (s *session) converse() outcome {
	if out, ok := s.hello(); !ok {
		return out
	}
	if out, ok := s.secure(); !ok {
		return out
	}
	if out, ok := s.authenticate(); !ok {
		return out
	}
	if out, ok := s.check(); !ok {
		return out
	}
	return s.transaction()
}

// hello reads the greeting and sends EHLO, or HELO when EHLO is refused
// (RFC 5321 §3.2). A greeting or EHLO that is not positive sends us to the
// next address, like Postfix's smtp_skip_5xx_greeting.
func (s *session) hello() (outcome, bool) {
	to := s.c.cfg.CommandTimeout
	r, err := s.conn.reply(to)
	if err != nil {
		return retry(lostConnection(s.hop.host, s.ip, s.hop.port, "receiving the greeting"), err), false
	}
	if !r.Positive() {
		return retry(r, nil), false
	}
	s.reached = true
	return s.ehlo()
}

func (s *session) ehlo() (outcome, bool) {
	to := s.c.cfg.CommandTimeout
	r, err := s.conn.cmd("EHLO "+s.c.cfg.Hostname, to)
	if err == nil && r.Code/100 == 5 {
		s.ext = extensions{}
		r, err = s.conn.cmd("HELO "+s.c.cfg.Hostname, to)
	} else if err == nil {
		s.ext = parseEHLO(r.Text)
	}
	if err != nil {
		return retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending EHLO"), err), false
	}
	if !r.Positive() {
		return retry(r, nil), false
	}
	return outcome{}, true
}

// quit ends the session politely (RFC 5321 §4.1.1.10), briefly.
func (s *session) quit() {
	_, _ = s.conn.cmd("QUIT", min(s.c.cfg.CommandTimeout, 5*time.Second))
}
