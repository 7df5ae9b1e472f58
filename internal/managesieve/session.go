package managesieve

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

var (
	errCommandTimeout = errors.New("command not completed in time")
	errInterrupted    = netserve.ErrInterrupted
)

// session is one client connection.
type session struct {
	srv *Server
	ip  netip.Addr
	id  string
	log *slog.Logger

	c *netserve.Conn

	r     *bufio.Reader
	p     parser
	w     *bufio.Writer
	isTLS bool

	acct      store.Account // zero before login
	authed    bool
	commands  int // commands before login
	bad       int // bad commands before login
	authFails int
}

func newSession(srv *Server, c net.Conn, ip netip.Addr) *session {
	id := obs.NewID()
	s := &session{srv: srv, ip: ip, id: id, c: netserve.NewConn(c, srv.cfg.IdleTimeout)}
	s.log = srv.log.With("conn", id, "remote", s.remote())
	_, s.isTLS = c.(*tls.Conn)
	s.r = bufio.NewReaderSize(c, 4096)
	s.p = parser{r: s.r}
	s.w = bufio.NewWriterSize(s.c, 32<<10)
	return s
}

// remote names the client in logs.
func (s *session) remote() string { return netserve.Remote(s.ip) }

// Interrupt makes the session end before its next command (Shutdown).
func (s *session) Interrupt() { s.c.Interrupt() }

// Close cuts the connection (Shutdown past its deadline).
func (s *session) Close() { s.c.Close() }

// Run serves the connection until the session ends.
func (s *session) Run() {
	defer s.srv.metrics.SessionStarted(s.srv.cfg.Name)()
	defer s.c.Close()
	s.log.Debug("connected", "tls", s.isTLS)
	if tc, ok := s.c.Raw().(*tls.Conn); ok && !s.handshake(tc) {
		return
	}
	// RFC 5804 §1.7: the server greets with its capabilities and OK.
	if !s.send(s.capability().withText(s.srv.cfg.Hostname + " ManageSieve ready")) {
		return
	}
	for {
		cmd, err := s.readCommand()
		var c *Command
		switch {
		case err == nil:
			c = &cmd
		case errors.Is(err, errSyntax):
			// The command was read to its end: answer it and go on.
		default:
			if r, ok := s.readFailed(err); ok {
				s.send(r)
			}
			return
		}
		if r := s.handle(c); !s.send(r) || r.Close {
			return
		}
	}
}

// readCommand reads one command: the wait for its first octet is the
// idle timeout, the rest must come within CommandTimeout. Pending output
// is flushed before waiting for input.
func (s *session) readCommand() (Command, error) {
	if err := s.await(); err != nil {
		return Command{}, err
	}
	s.p.lim = s.limits()
	cmd, err := s.p.readCommand()
	return cmd, s.readErr(err)
}

// readString reads a SASL response (a string on a line of its own), like
// a command.
func (s *session) readString() (string, error) {
	if err := s.await(); err != nil {
		return "", err
	}
	s.p.lim = s.limits()
	str, err := s.p.readString()
	return str, s.readErr(err)
}

// limits are the parser's bounds: literals of a script's size after
// login, of a line's before.
func (s *session) limits() Limits {
	cfg := s.srv.cfg
	lim := Limits{MaxLine: cfg.MaxLineLength, MaxLiteral: cfg.MaxLineLength}
	if s.authed {
		lim.MaxLiteral = cfg.MaxScriptSize + LiteralSlack
	}
	return lim
}

// await flushes pending output when no input is buffered, waits up to
// IdleTimeout for the first octet, then arms CommandTimeout for the
// whole command: an absolute deadline, which octets trickling in do not
// extend.
func (s *session) await() error {
	if s.r.Buffered() == 0 {
		if err := s.w.Flush(); err != nil {
			return err
		}
	}
	return s.c.Await(s.r, s.srv.cfg.IdleTimeout, s.srv.cfg.CommandTimeout)
}

// readErr tells a deadline that passed within a command from the others.
func (s *session) readErr(err error) error {
	switch {
	case err == nil:
		return nil
	case s.c.Interrupted():
		return errInterrupted
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errCommandTimeout
	}
	return err
}

// readFailed logs why a command could not be read and returns the BYE to
// send, if any.
func (s *session) readFailed(err error) (Reply, bool) {
	cfg := s.srv.cfg
	switch {
	case errors.Is(err, errInterrupted):
		s.log.Info("session ended by shutdown")
		return replyShutdown, true
	case errors.Is(err, errLineTooLong):
		s.log.Info("line too long", "max", cfg.MaxLineLength)
		return replyLineTooLong, true
	case errors.Is(err, errLiteralTooLarge):
		s.log.Info("literal too large", "max", s.limits().MaxLiteral)
		return replyLiteralTooLong, true
	case errors.Is(err, errCommandTimeout):
		s.log.Info("command not completed in time", "timeout_ms", cfg.CommandTimeout.Milliseconds())
		return replyTimeout, true
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.log.Info("idle timeout", "timeout_ms", cfg.IdleTimeout.Milliseconds())
		return replyIdle, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Info("connection closed without LOGOUT")
	default:
		s.log.Info("connection failed", "err", err)
	}
	return Reply{}, false
}

// handshake completes TLS (after STARTTLS) within HandshakeTimeout.
func (s *session) handshake(tc *tls.Conn) bool {
	if _, err := netserve.Handshake(s.srv.ctx, tc, nil, s.srv.cfg.HandshakeTimeout); err != nil {
		s.log.Info("TLS handshake failed", "err", err)
		return false
	}
	return true
}

// send writes a reply; false means the connection is gone.
func (s *session) send(r Reply) bool {
	r.write(s.w)
	if r.Close || r.startTLS {
		if err := s.w.Flush(); err != nil {
			return false
		}
	}
	if r.startTLS {
		return s.startTLS()
	}
	return true
}

// flush writes out what is buffered; false means the connection is gone.
func (s *session) flush() bool { return s.w.Flush() == nil }

// storeFailure maps a storage error to a reply and logs it under the
// connection's reference (never on the wire).
func (s *session) storeFailure(op string, err error) Reply {
	switch store.KindOf(err) {
	case store.KindTemporary, store.KindClosed:
		s.log.Warn("temporary storage failure", "op", op, "err", err)
	default:
		s.log.Error("storage failure", "op", op, "err", err)
	}
	return tempFailure(s.id)
}

// opContext bounds one store operation.
func (s *session) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.srv.ctx, time.Minute)
}
