package netserve

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// HandshakeTimeout bounds a TLS handshake, on implicit-TLS listeners (RFC
// 8314 §3.3) and after STARTTLS alike: a client that opens a connection
// and sends nothing, or trickles its ClientHello, holds its connection
// slot for this long at most (docs/configuration.md §Connection limits).
const HandshakeTimeout = 30 * time.Second

// RefuseTimeout bounds the refusal of a connection over a limit: the TLS
// handshake of an implicit-TLS listener and the refusal's write together.
const RefuseTimeout = 10 * time.Second

// Handshake runs the server side of a TLS handshake on c, which must be
// over within timeout (the deadline is absolute: bytes that trickle in do
// not extend it) or before ctx ends, and returns the TLS connection with
// its deadlines cleared. c may already be a *tls.Conn whose handshake has
// not run (a tls.NewListener connection); cfg is then unused.
func Handshake(ctx context.Context, c net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		tc = tls.Server(c, cfg)
	}
	tc.SetDeadline(time.Now().Add(timeout))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}
