package imapd

import (
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/netserve/netservetest"
)

// On imaps a client that opens a connection and sends nothing, or
// trickles its ClientHello, is cut off at HandshakeTimeout.
func TestTLSHandshakeDeadline(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.HandshakeTimeout = 500 * time.Millisecond })
	netservetest.StalledHandshakes(t, e.tlsAddr, 10*time.Second)
}
