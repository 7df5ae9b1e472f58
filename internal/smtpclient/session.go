package smtpclient

import (
	"context"
	"net"
	"net/netip"
	"time"

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

// run connects and delivers.
func (s *session) run(ctx context.Context) outcome {
	cfg := &s.c.cfg
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(s.ip, uint16(s.hop.port)).String())
	if err != nil {
		return retry(noAnswer(s.hop.host, s.ip, s.hop.port), err)
	}
	s.conn = newConn(nc)
	defer func() { _ = s.conn.nc.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = s.conn.nc.SetDeadline(time.Now()) })
	defer stop()
	out := s.converse()
	if out.err == nil && (out.reply == nil || out.reply.Code != 421) {
		s.quit() // not after a timeout or a broken connection
	}
	return out
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
