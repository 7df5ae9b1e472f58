package imapd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/inflate"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// state is a session state (RFC 9051 §3).
type state int

const (
	stateNotAuth state = iota
	stateAuth
	stateSelected
	stateLogout
)

// session is one IMAP connection.
type session struct {
	srv  *Server
	conn net.Conn
	ip   netip.Addr
	log  *slog.Logger
	ctx  context.Context

	br  *bufio.Reader // nil while waiting for input (see awaitInput)
	pre prefixConn
	r   *reader
	w   *writer
	tls bool
	// zin inflates the commands after COMPRESS (cmd_compress.go).
	zin *inflate.Reader

	state state
	acct  store.Account
	sub   *store.Subscription
	// shareSub is the feed of the selected shared mailbox's owner
	// (shareAcct; acl.go), nil when none is selected.
	shareSub  *store.Subscription
	shareAcct store.AccountID
	v         *view
	// notify is the NOTIFY in force (RFC 5465; notify.go), nil for none.
	notify *notifyState
	// relevancy holds the ranks of the running SEARCH's FUZZY keys
	// (search_index.go).
	relevancy relevancy

	// ENABLEd extensions (RFC 5161).
	rev2, condstore, qresync, utf8 bool
	uidOnly                        bool // RFC 9586 (uidonly.go)
	// prog counts the messages of a long SEARCH or FETCH (inprogress.go).
	prog *progress

	curTag         string
	bad, authFails int
	stopping       atomic.Bool
	// clock bounds the time a command takes to arrive (cmdclock.go).
	clock cmdClock
	// metaBuf is reused by FETCH for ENVELOPE and BODYSTRUCTURE.
	metaBuf bytes.Buffer
}

func newSession(srv *Server, c net.Conn, ip netip.Addr) *session {
	s := &session{srv: srv, conn: c, ip: ip, ctx: srv.ctx}
	s.clock.stopping, s.clock.rate = &s.stopping, srv.cfg.MinTransferRate
	s.log = srv.log.With("conn", obs.NewID(), "remote", netserve.Remote(ip))
	s.setConn(c)
	return s
}

// setConn (re)builds the buffered reader and writer on c (after STARTTLS);
// the buffers themselves are taken when needed (see buffers.go).
func (s *session) setConn(c net.Conn) {
	s.conn = c
	if s.r != nil {
		s.releaseReader()
	}
	s.br = nil
	s.w = &writer{bw: &bufWriter{w: rateWriter{c, s.srv.cfg.CommandTimeout, s.srv.cfg.MinTransferRate}}}
	s.r = newReader(nil, s.srv.cfg.MaxLineLength, s.srv.cfg.MaxLiteral, s.continueLiteral)
	s.r.maxSkip = max(s.r.maxSkip, s.srv.cfg.MaxMessageSize)
}

func (s *session) continueLiteral() error {
	s.w.raw("+ Ready for literal data\r\n")
	return s.w.flush()
}

// interrupt asks the session to end: a session waiting for input is woken
// at once.
func (s *session) interrupt() {
	s.stopping.Store(true)
	s.conn.SetReadDeadline(time.Now())
}

func (s *session) run() {
	defer s.srv.metrics.SessionStarted(s.srv.cfg.Name)()
	defer s.close()
	s.log.Debug("connected")
	if s.srv.cfg.ImplicitTLS {
		tc, err := netserve.Handshake(s.ctx, s.conn, s.srv.cfg.TLS, s.srv.cfg.HandshakeTimeout)
		if err != nil {
			s.log.Debug("TLS handshake failed", "err", err)
			return
		}
		s.setConn(tc)
		s.tls = true
	}
	s.w.status("*", respOKCode("CAPABILITY "+s.capabilities(), "Petrel IMAP server ready"))
	if s.w.flush() != nil {
		return
	}
	for s.state != stateLogout {
		if !s.serveOne() {
			return
		}
	}
}

func (s *session) close() {
	if s.sub != nil {
		s.sub.Close()
	}
	if s.shareSub != nil {
		s.shareSub.Close()
	}
	s.setNotify(nil) // its owners' feeds (notify_shared.go)
	s.conn.Close()
	s.releaseReader()
	s.log.Debug("disconnected")
}

// serveOne reads and executes one command; false ends the session.
func (s *session) serveOne() bool {
	timeout := s.srv.cfg.IdleTimeout
	if s.state == stateNotAuth {
		timeout = s.srv.cfg.LoginTimeout
	}
	if s.stopping.Load() {
		return s.bye("Server shutting down")
	}
	if err := s.awaitCommand(timeout); err != nil {
		return s.commandError(nil, err)
	}
	s.clock.begin(s.conn, min(s.srv.cfg.CommandTimeout, timeout))
	c, err := s.parseCommand(s.r)
	defer c.release()
	if err != nil {
		ok := s.commandError(c, err)
		s.clock.end()
		return ok
	}
	s.clock.end()
	s.log.Debug("command", "tag", c.tag, "cmd", c.name, "uid", c.uid)
	s.curTag = c.tag
	st := s.execute(c)
	s.srv.metrics.Command(c.name)
	if st.kind == "BAD" || st.kind == "NO" {
		s.srv.metrics.Error(c.name)
	}
	if st.kind == "BAD" {
		s.bad++
	}
	if st.kind != "" { // "": the handler answered itself (STARTTLS)
		s.w.status(c.tag, st)
	}
	if s.w.flush() != nil {
		return false
	}
	if s.bad > s.srv.cfg.MaxBadCommands {
		return s.bye("Too many bad commands")
	}
	return true
}

// commandError answers a command that could not be read or parsed.
func (s *session) commandError(c *command, err error) bool {
	var se *syntaxError
	if !errors.As(err, &se) {
		switch {
		case s.stopping.Load():
			return s.bye("Server shutting down")
		case isTimeout(err) && s.clock.on:
			s.log.Info("command too slow to arrive", "octets", s.clock.got,
				"elapsed_ms", time.Since(s.clock.start).Milliseconds())
			return s.bye("Command not received in time")
		case isTimeout(err):
			return s.bye("Autologout; idle for too long")
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		default:
			s.log.Debug("read failed", "err", err)
		}
		return false
	}
	if se.fatal {
		return s.bye(se.msg)
	}
	tag := "*"
	if c != nil && c.tag != "" {
		tag = c.tag
	}
	if c != nil { // a command line that could not be parsed
		s.srv.metrics.Command(c.name)
		s.srv.metrics.Error(c.name)
	}
	kind := se.kind
	if kind == "" {
		kind = "BAD"
		s.bad++
	}
	s.w.status(tag, status{kind: kind, code: se.code, text: se.msg})
	if serr := s.r.skipCommand(); serr != nil {
		var fe *syntaxError
		if errors.As(serr, &fe) {
			return s.bye(fe.msg)
		}
		return false
	}
	if s.w.flush() != nil {
		return false
	}
	if s.bad > s.srv.cfg.MaxBadCommands {
		return s.bye("Too many bad commands")
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// bye sends an untagged BYE and ends the session.
func (s *session) bye(text string) bool {
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	s.w.status("*", status{kind: "BYE", text: text})
	s.w.flush()
	return false
}

// capabilities lists what works now (RFC 9051 §7.2.2).
func (s *session) capabilities() string {
	c := "IMAP4rev1 IMAP4rev2"
	if s.state == stateNotAuth {
		if s.srv.cfg.TLS != nil && !s.tls {
			c += " STARTTLS"
		}
		if s.authAllowed() {
			c += s.authMechanisms()
		} else {
			c += " LOGINDISABLED"
		}
	}
	return c + " IDLE UIDPLUS MOVE SPECIAL-USE CREATE-SPECIAL-USE NAMESPACE ENABLE UNSELECT" +
		" LITERAL+ SASL-IR ID CHILDREN LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES STATUS=SIZE" +
		" APPENDLIMIT=" + strconv.FormatInt(s.srv.cfg.MaxMessageSize, 10) +
		" MULTIAPPEND BINARY CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE UTF8=ACCEPT" +
		" COMPRESS=DEFLATE NOTIFY" + objectMetaCaps +
		" SEARCH=FUZZY" +
		" SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PARTIAL" +
		" CONTEXT=SEARCH CONTEXT=SORT" +
		s.aclCaps()
}

// authAllowed: LOGIN and AUTHENTICATE need TLS unless the operator allows
// them in clear (RFC 9051 §6.2.3 LOGINDISABLED).
func (s *session) authAllowed() bool { return s.tls || s.srv.cfg.AllowInsecureAuth }

// storeError maps a storage error kind to a status (docs/architecture.md
// §Errors: one
// table per protocol). Failures of the server's own (a full disk, a
// temporary or internal failure) are logged under a reference that the
// client sees instead of the error's text, so that an operator can find
// the log line from a user's report.
func (s *session) storeError(op string, err error) status {
	switch store.KindOf(err) {
	case store.KindNotFound:
		return respNOCode("NONEXISTENT", "No such mailbox")
	case store.KindExists:
		return respNOCode("ALREADYEXISTS", "Mailbox already exists")
	case store.KindOverQuota:
		return respNOCode("OVERQUOTA", "Quota exceeded")
	case store.KindInvalid:
		return respNOCode("CANNOT", "Operation not permitted")
	case store.KindModified:
		return respNOCode("MODIFIED", "Changed meanwhile")
	case store.KindNoSpace:
		// RFC 5530 has no code for a full disk. UNAVAILABLE ("temporary
		// failure because a subsystem is down", §3) says what it is:
		// temporary, not the client's doing. OVERQUOTA would blame the
		// user's quota, SERVERBUG a defect, LIMIT a fixed limit that
		// retrying cannot pass.
		ref := s.logStoreError(slog.LevelError, "store operation failed: disk full", op, err)
		return respNOCode("UNAVAILABLE", "Insufficient system storage; try again later (ref "+ref+")")
	case store.KindTemporary, store.KindClosed:
		ref := s.logStoreError(slog.LevelWarn, "store operation failed temporarily", op, err)
		return respNOCode("UNAVAILABLE", "Temporary failure; try again later (ref "+ref+")")
	}
	ref := s.logStoreError(slog.LevelError, "store operation failed", op, err)
	return respNOCode("SERVERBUG", "Internal error (ref "+ref+")")
}

// logStoreError logs a store failure under a new reference and returns it.
func (s *session) logStoreError(level slog.Level, msg, op string, err error) string {
	ref := obs.NewID()
	s.log.Log(s.ctx, level, msg, "op", op, "ref", ref, "err", err)
	return ref
}

// Run, Interrupt and Close make a session a netserve.Session.
func (s *session) Run()       { s.run() }
func (s *session) Interrupt() { s.interrupt() }
func (s *session) Close()     { s.conn.Close() }
