package smtpd

import (
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/netserve/netservetest"
)

// On submissions (implicit TLS) a client that sends nothing, or trickles
// its ClientHello, is cut off at HandshakeTimeout; after STARTTLS too
// (issue 11, must-fix 8: before, the handshake had CommandTimeout, 5
// minutes by default).
func TestTLSHandshakeDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	cfg.CommandTimeout = time.Minute
	cfg.HandshakeTimeout = 500 * time.Millisecond
	plain := start(t, cfg, nil)
	cfg.ImplicitTLS = true
	implicit := start(t, cfg, nil)

	netservetest.StalledHandshakes(t, implicit.addr, 10*time.Second)
	s := greeted(t, plain.addr)
	s.cmd("STARTTLS", "220 ")
	netservetest.HeldFor(t, s.C, 10*time.Second, netservetest.Silent)
}
