package smtpd

import (
	"testing"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// toyAuth is an Extension in the shape AUTH will have: a keyword, a
// command with an intermediate reply, and MAIL refused before it.
type toyAuth struct{}

func (toyAuth) Keywords(State) []string  { return []string{"XAUTH"} }
func (toyAuth) Handles(verb string) bool { return verb == "XAUTH" }
func (toyAuth) BeforeMail(st State) *smtpreply.Reply {
	if st.AuthAccount == "" {
		return smtpreply.New(530, smtpreply.Enhanced{5, 7, 0}, "Authentication required")
	}
	return nil
}

func (toyAuth) Command(c Conn, verb, arg string) *smtpreply.Reply {
	if arg == "" {
		return c.Bad(smtpreply.BadArguments("XAUTH needs a user"))
	}
	if err := c.Reply(smtpreply.New(334, smtpreply.Enhanced{}, "password?")); err != nil {
		return nil
	}
	line, _, err := c.ReadLine()
	if err != nil || line != "secret" {
		return smtpreply.New(535, smtpreply.Enhanced{5, 7, 8}, "Authentication failed")
	}
	c.SetAuthAccount(arg)
	return smtpreply.New(235, smtpreply.Enhanced{2, 7, 0}, "Authentication successful")
}

func TestExtensionHook(t *testing.T) {
	cfg := testConfig()
	cfg.Extensions = []Extension{toyAuth{}}
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	if got := c.hello(); got[len(got)-1] != "250 XAUTH" {
		t.Fatalf("EHLO %q", got)
	}
	c.cmd("MAIL FROM:<a@example.org>", "530 5.7.0")
	c.cmd("XAUTH", "501 5.5.4")
	c.cmd("XAUTH alice", "334 ")
	c.cmd("wrong", "535 ")
	c.cmd("XAUTH alice", "334 ")
	c.cmd("secret", "235 ")
	c.transaction("a@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	if m := ts.d.messages(); len(m) != 1 || m[0].env.AuthAccount != "alice" || m[0].env.Protocol != "ESMTPA" {
		t.Fatalf("envelope %+v", m[0].env)
	}
}
