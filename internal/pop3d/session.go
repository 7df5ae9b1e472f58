package pop3d

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/store"
)

// state is the session state of RFC 1939 §3. UPDATE is entered only by
// QUIT and ends the session, so it has no value of its own here.
type state int

const (
	stateAuthorization state = iota
	stateTransaction
)

var (
	errLineTooLong = errors.New("line too long")
	errLineTimeout = errors.New("command line not completed in time")
	errInterrupted = netserve.ErrInterrupted
)

// session is one client connection.
type session struct {
	srv *Server
	ip  netip.Addr
	id  string
	log *slog.Logger

	c *netserve.Conn // the connection, TLS after STLS

	r     *bufio.Reader
	w     *bufio.Writer
	isTLS bool
	line  []byte // readLine's buffer

	state     state
	user      string // from USER, waiting for PASS
	bad       int    // bad commands before login
	authFails int
	acct      store.Account
	md        *maildrop
	lease     *store.Lease // the maildrop lock, in TRANSACTION
	seen      *seenMarker
	retrieved int
}

func newSession(srv *Server, c net.Conn, ip netip.Addr) *session {
	id := newConnID()
	s := &session{srv: srv, ip: ip, id: id, c: netserve.NewConn(c, srv.cfg.IdleTimeout),
		log: srv.log.With("conn", id, "remote", netserve.Remote(ip))}
	_, s.isTLS = c.(*tls.Conn)
	s.r = bufio.NewReaderSize(c, 4096)
	s.w = bufio.NewWriterSize(s.c, 32<<10)
	return s
}

// Interrupt makes the session end before its next command (Shutdown).
func (s *session) Interrupt() { s.c.Interrupt() }

// Close cuts the connection (Shutdown past its deadline).
func (s *session) Close() { s.c.Close() }

// Run serves the connection until the session ends.
func (s *session) Run() {
	defer s.srv.metrics.SessionStarted(s.srv.cfg.Name)()
	defer s.end()
	s.log.Debug("connected", "tls", s.isTLS)
	if tc, ok := s.c.Raw().(*tls.Conn); ok && !s.handshake(tc) {
		return
	}
	if !s.send(ok("%s POP3 server ready", s.srv.cfg.Hostname)) {
		return
	}
	for {
		line, err := s.readLine(s.srv.cfg.MaxLineLength)
		if errors.Is(err, errLineTooLong) {
			if r := s.badCommand(replyLineTooLong); !s.send(r) || r.Close {
				return
			}
			continue
		}
		if err != nil {
			s.readFailed(err)
			return
		}
		if r := s.handle(line); !s.send(r) || r.Close {
			return
		}
	}
}

// readFailed logs why the session ends without QUIT (RFC 1939 §6: no
// UPDATE then) and answers a shutdown.
func (s *session) readFailed(err error) {
	switch {
	case errors.Is(err, errInterrupted):
		s.send(replyShutdown)
		s.log.Info("session ended by shutdown")
	case errors.Is(err, errLineTimeout):
		s.send(replyLineTimeout)
		s.log.Info("command line not completed in time", "timeout_ms", s.srv.cfg.LineTimeout.Milliseconds())
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.log.Info("autologout: idle timeout", "timeout_ms", s.srv.cfg.IdleTimeout.Milliseconds())
	default:
		s.log.Info("connection closed without QUIT")
	}
}

// end closes the session. Without QUIT nothing is deleted.
func (s *session) end() {
	s.release()
	s.c.Close()
}

// release stores pending \Seen flags, closes the maildrop and unlocks it.
func (s *session) release() {
	if s.md == nil {
		return
	}
	s.seen.close()
	s.md.close()
	s.unlock(s.lease)
	s.log.Info("session ended", "retrieved", s.retrieved)
	s.md, s.lease = nil, nil
}

// unlock releases the maildrop lock, also after Shutdown has cancelled
// the server's context. When that fails the lock expires by itself.
func (s *session) unlock(lease *store.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := lease.Release(ctx); err != nil {
		s.log.Warn("releasing the maildrop lock failed; it expires by itself", "err", err,
			"lease_ms", s.srv.cfg.LockLease.Milliseconds())
	}
}

// lockLost reports whether the maildrop lock was lost (its renewals
// failed for a whole lease, or another session took it over): the
// session must then end without UPDATE.
func (s *session) lockLost() bool {
	select {
	case <-s.lease.Lost():
		return true
	default:
		return false
	}
}

// handshake completes TLS (pop3s, or after STLS) within HandshakeTimeout.
func (s *session) handshake(tc *tls.Conn) bool {
	if _, err := netserve.Handshake(s.srv.ctx, tc, nil, s.srv.cfg.HandshakeTimeout); err != nil {
		s.log.Info("TLS handshake failed", "err", err)
		return false
	}
	return true
}

// readLine reads one line without its line ending (CRLF, or a bare LF).
// A line longer than max is discarded up to its end: errLineTooLong. The
// wait for the line's first octet is the idle timeout (RFC 1939 §3); the
// rest must come within LineTimeout, or errLineTimeout. Pending output is
// flushed before waiting for input, so pipelined commands (RFC 2449 §6.6)
// get their replies in one write.
func (s *session) readLine(max int) (string, error) {
	if s.r.Buffered() == 0 {
		if err := s.w.Flush(); err != nil {
			return "", err
		}
	}
	if err := s.c.Await(s.r, s.srv.cfg.IdleTimeout, s.srv.cfg.LineTimeout); err != nil {
		return "", err
	}
	s.line = s.line[:0]
	tooLong := false
	for {
		chunk, err := s.r.ReadSlice('\n')
		if !tooLong {
			if len(s.line)+len(chunk) > max {
				tooLong = true
			} else {
				s.line = append(s.line, chunk...)
			}
		}
		switch {
		case err == nil && tooLong:
			return "", errLineTooLong
		case err == nil:
			return string(bytes.TrimSuffix(bytes.TrimSuffix(s.line, []byte("\n")), []byte("\r"))), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case s.c.Interrupted():
			return "", errInterrupted
		case errors.Is(err, os.ErrDeadlineExceeded):
			return "", errLineTimeout
		default:
			return "", err
		}
	}
}

// send writes a reply; false means the connection is gone.
func (s *session) send(r Reply) bool {
	r.writeLines(s.w)
	if r.Message != nil {
		if _, err := r.Message.write(s.w); err != nil {
			s.log.Info("sending a message failed", "err", err)
			return false
		}
	}
	if r.Close || r.Continue || r.startTLS {
		if err := s.w.Flush(); err != nil {
			return false
		}
	}
	if r.startTLS {
		return s.startTLS()
	}
	return true
}

// badCommand counts a bad command before login; past MaxBadCommands it
// closes the connection (RFC 1939 does not bound them;
// docs/architecture.md §Limits does).
func (s *session) badCommand(r Reply) Reply {
	if s.state != stateAuthorization {
		return r
	}
	s.bad++
	if s.bad > s.srv.cfg.MaxBadCommands {
		s.log.Info("too many bad commands before login", "count", s.bad)
		return replyTooManyBad
	}
	return r
}

// storeFailure maps a storage error to a reply, in one table, and logs
// it under the connection's reference (never on the wire).
func (s *session) storeFailure(op string, err error) Reply {
	switch store.KindOf(err) {
	case store.KindNotFound:
		return replyNoSuchMessage
	case store.KindNoSpace: // README "Storage"
		s.log.Error("storage failure: disk full", "op", op, "err", err)
		return diskFull(s.id)
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
