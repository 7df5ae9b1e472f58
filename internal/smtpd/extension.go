package smtpd

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Extension adds an ESMTP extension to a server: the hook through which
// the submission listeners will add AUTH (RFC 4954). Its methods run on
// the session's goroutine.
type Extension interface {
	// Keywords returns the EHLO keywords to advertise in this state,
	// e.g. "AUTH PLAIN LOGIN" once TLS is active.
	Keywords(st State) []string
	// Handles reports whether the extension implements the upper-case
	// command verb (built-in commands take precedence).
	Handles(verb string) bool
	// Command runs such a command and returns its final reply; it may
	// exchange intermediate lines through c (SASL challenges). A reply
	// for a bad command should come from c.Bad so that it counts.
	Command(c Conn, verb, arg string) *smtpreply.Reply
	// BeforeMail may refuse MAIL FROM in this state (e.g. 530 5.7.0
	// Authentication required); nil allows it.
	BeforeMail(st State) *smtpreply.Reply
}

// State is what an extension may know of a session.
type State struct {
	ClientIP    netip.Addr // invalid for a unix socket
	Helo        string     // "" before HELO/EHLO/LHLO
	TLS         bool
	AuthAccount string // "" when not authenticated
	InMail      bool   // a transaction is open

	// ChannelBinding is the TLS connection's tls-exporter data (RFC
	// 9266), nil without TLS or when it has none (AUTH's -PLUS).
	ChannelBinding []byte
}

// Conn is the session as an extension sees it.
type Conn interface {
	State() State
	// Reply sends an intermediate reply (e.g. 334) and flushes it.
	Reply(r *smtpreply.Reply) error
	// ReadLine reads one line under the command timeout and line length
	// limit; tooLong reports a line that was over the limit and dropped.
	ReadLine() (line string, tooLong bool, err error)
	// SetAuthAccount records the authenticated account; the envelope's
	// AuthAccount and Protocol (ESMTPA, ESMTPSA: RFC 3848) follow it.
	SetAuthAccount(account string)
	// Bad marks the command as a bad one (it counts towards
	// MaxBadCommands) and returns r.
	Bad(r *smtpreply.Reply) *smtpreply.Reply
	// Log is the session's logger: its lines name the listener, the
	// connection and the client (docs/flow.md "Tracing a message").
	Log() *slog.Logger
}

func (s *session) state() State {
	return State{ClientIP: s.ip, Helo: s.helo, TLS: s.tls != nil, ChannelBinding: s.binding,
		AuthAccount: s.auth, InMail: s.tx != nil}
}

// extConn implements Conn.
type extConn struct{ s *session }

func (c extConn) State() State { return c.s.state() }

func (c extConn) Reply(r *smtpreply.Reply) error {
	c.s.reply(r)
	return c.s.flush()
}

func (c extConn) ReadLine() (string, bool, error) {
	c.s.conn.SetReadDeadline(time.Now().Add(c.s.cfg.CommandTimeout))
	line, tooLong, err := c.s.readLine()
	if err != nil {
		c.s.ioErr = err
	}
	return line, tooLong, err
}

// SetAuthAccount also names the account in the session's later log lines.
func (c extConn) SetAuthAccount(account string) {
	c.s.auth = account
	c.s.log = c.s.log.With("account", account)
}

func (c extConn) Log() *slog.Logger { return c.s.log }

func (c extConn) Bad(r *smtpreply.Reply) *smtpreply.Reply { return c.s.bad(r) }
