package testkit

import (
	"crypto/tls"
	"encoding/base64"
	"strings"
	"testing"

	xscram "github.com/xdg-go/scram"
)

// SCRAMMode is how a test's SCRAM client treats channel binding.
type SCRAMMode int

const (
	// SCRAMNoBinding: gs2 flag "n", mechanism SCRAM-SHA-256.
	SCRAMNoBinding SCRAMMode = iota
	// SCRAMBinding: gs2 flag "p=tls-exporter", SCRAM-SHA-256-PLUS.
	SCRAMBinding
	// SCRAMClaimBinding: gs2 flag "y" with SCRAM-SHA-256, a client that
	// binds but believes the server cannot (a downgrade where -PLUS was
	// advertised).
	SCRAMClaimBinding
)

// SCRAMClient is an independent SCRAM-SHA-256 client for tests: the
// github.com/xdg-go/scram implementation, not Petrel's.
type SCRAMClient struct {
	t    testing.TB
	conv *xscram.ClientConversation
	// Mech is the mechanism name to send.
	Mech string
}

// NewSCRAMClient starts a client conversation for user and password;
// cs is the client's TLS connection state (needed for SCRAMBinding).
func NewSCRAMClient(t testing.TB, user, password string, mode SCRAMMode, cs *tls.ConnectionState) *SCRAMClient {
	t.Helper()
	cl, err := xscram.SHA256.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &SCRAMClient{t: t, Mech: "SCRAM-SHA-256"}
	switch mode {
	case SCRAMNoBinding:
		c.conv = cl.NewConversation()
	case SCRAMClaimBinding:
		c.conv = cl.NewConversationAdvertisingChannelBinding()
	case SCRAMBinding:
		cb, err := xscram.NewTLSExporterBinding(cs)
		if err != nil {
			t.Fatal(err)
		}
		c.conv = cl.NewConversationWithChannelBinding(cb)
		c.Mech = "SCRAM-SHA-256-PLUS"
	}
	return c
}

// Step takes the server's challenge in base64 ("" before the first
// message) and returns the client's response in base64; an error is the
// client refusing the server's message.
func (c *SCRAMClient) Step(challenge string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(challenge)
	if err != nil {
		c.t.Fatalf("challenge %q is not base64: %v", challenge, err)
	}
	resp, err := c.conv.Step(string(raw))
	return base64.StdEncoding.EncodeToString([]byte(resp)), err
}

// Valid reports whether the conversation ended with a server signature
// the client verified.
func (c *SCRAMClient) Valid() bool { return c.conv.Done() && c.conv.Valid() }

// Exchange answers the server's challenges on a line protocol once the
// command is sent: each line starting with prefix ("+ " for IMAP and
// POP3, "334 " for SMTP) carries a base64 challenge, answered with the
// client's next response, or "*" when the client refuses it. It returns
// the first other line (the command's reply).
func (c *SCRAMClient) Exchange(conn *Conn, prefix string) string {
	c.t.Helper()
	for {
		l := conn.Line()
		ch, ok := strings.CutPrefix(l, prefix)
		if !ok {
			return l
		}
		resp, err := c.Step(ch)
		if err != nil {
			resp = "*"
		}
		conn.Send(resp + "\r\n")
	}
}

// First is the client-first message in base64, for an initial response.
func (c *SCRAMClient) First() string {
	c.t.Helper()
	resp, err := c.Step("")
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// Run sends command ("AUTH", "a AUTHENTICATE") with the mechanism, and
// the client-first message as an initial response when initial, then
// runs Exchange.
func (c *SCRAMClient) Run(conn *Conn, command, prefix string, initial bool) string {
	c.t.Helper()
	line := command + " " + c.Mech
	if initial {
		line += " " + c.First()
	}
	conn.Send(line + "\r\n")
	return c.Exchange(conn, prefix)
}
