package netserve

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// Conn is a line protocol session's connection as Shutdown and STARTTLS
// see it (POP3, ManageSieve): the net.Conn, replaced by a *tls.Conn after
// STARTTLS, and whether Shutdown has interrupted the session, both
// guarded against Interrupt and Close, which run on Shutdown's goroutine.
// Its Write renews the write deadline before each write, so that a slow
// reader gets writeTimeout per chunk.
type Conn struct {
	writeTimeout time.Duration

	mu          sync.Mutex
	c           net.Conn
	interrupted bool
}

// NewConn wraps c; each write must be over within writeTimeout.
func NewConn(c net.Conn, writeTimeout time.Duration) *Conn {
	return &Conn{c: c, writeTimeout: writeTimeout}
}

// Raw returns the current connection (a *tls.Conn after StartTLS).
func (c *Conn) Raw() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// Write writes p under a fresh write deadline.
func (c *Conn) Write(p []byte) (int, error) {
	raw := c.Raw()
	raw.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	return raw.Write(p)
}

// Interrupt marks the session interrupted and makes its pending read
// return at once (Session.Interrupt).
func (c *Conn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
	c.c.SetReadDeadline(time.Now())
}

// Interrupted reports whether Interrupt was called.
func (c *Conn) Interrupted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interrupted
}

// SetReadTimeout sets the read deadline d from now, unless the session
// was interrupted (false).
func (c *Conn) SetReadTimeout(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.interrupted {
		return false
	}
	c.c.SetReadDeadline(time.Now().Add(d))
	return true
}

// ErrInterrupted is Await's error when Shutdown interrupted the session.
var ErrInterrupted = errors.New("server shutting down")

// Await waits up to idle for the first octet of the next command in r (a
// reader on c), then arms a read deadline of whole from now for the rest
// of the command: an absolute deadline, which octets trickling in do not
// extend.
func (c *Conn) Await(r *bufio.Reader, idle, whole time.Duration) error {
	if !c.SetReadTimeout(idle) {
		return ErrInterrupted
	}
	if _, err := r.Peek(1); err != nil {
		if c.Interrupted() {
			return ErrInterrupted
		}
		return err
	}
	if !c.SetReadTimeout(whole) {
		return ErrInterrupted
	}
	return nil
}

// Close closes the current connection.
func (c *Conn) Close() error { return c.Raw().Close() }

// StartTLS replaces the connection by the server side of TLS over it
// (STARTTLS, STLS) and returns it; its handshake has not run yet
// (Handshake runs it under a deadline).
func (c *Conn) StartTLS(cfg *tls.Config) *tls.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := tls.Server(c.c, cfg)
	c.c = tc
	return tc
}
