package smtpd

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Authenticator checks credentials; *accounts.Service implements it. A
// wrong user or password is accounts.ErrAuthFailed.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (store.Account, error)
	// NewSASLServer is accounts.Service.NewSASLServer: the mechanisms of
	// accounts.SASLMechanisms (SCRAM-SHA-256(-PLUS), PLAIN, LOGIN).
	NewSASLServer(ctx context.Context, mech string, exporter []byte, creds *accounts.Credentials) sasl.Server
}

// Throttle limits failed logins; *authguard.Guard implements it.
type Throttle interface {
	// Begin reserves a login attempt before its password is checked; the
	// caller settles the Attempt (Failure, Success or Abandon).
	Begin(ip netip.Addr, account string) (*authguard.Attempt, authguard.Verdict)
}

// AuthConfig configures the AUTH extension.
type AuthConfig struct {
	Auth     Authenticator
	Throttle Throttle
	// Hostname is the name in the 421 reply to a blocked client.
	Hostname string
	// AllowInsecure offers AUTH without TLS (tls.allow_insecure_auth).
	AllowInsecure bool
	// Timeout bounds one password check. Default 30 s.
	Timeout time.Duration
	// Sleep waits out the delay the throttle imposes; nil is time.Sleep.
	Sleep func(time.Duration)
}

// Auth is the AUTH extension of the submission listeners (RFC 4954, RFC
// 6409 §4.3): SASL SCRAM-SHA-256 and, over TLS with channel binding
// data, SCRAM-SHA-256-PLUS (RFC 7677, RFC 9266), PLAIN (RFC 4616) and
// LOGIN (draft-murchison-sasl-login), with an initial response or without,
// offered over TLS only unless AllowInsecure. MAIL is refused until a
// client has authenticated (530 5.7.0). Failed logins go through the
// shared Throttle: delayed, then refused with 421 4.7.0 (and the
// connection closed) while the client is blocked. The account's primary
// address becomes the session's AuthAccount. Logins are logged through the
// session's logger; passwords are never logged.
type Auth struct{ cfg AuthConfig }

// NewAuth returns the extension; one serves any number of sessions.
func NewAuth(cfg AuthConfig) *Auth {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = time.Sleep
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	return &Auth{cfg: cfg}
}

func (a *Auth) allowed(st State) bool { return st.TLS || a.cfg.AllowInsecure }

// Keywords advertises AUTH where credentials may be sent (RFC 4954 §3).
func (a *Auth) Keywords(st State) []string {
	if !a.allowed(st) {
		return nil
	}
	return []string{"AUTH " + strings.Join(accounts.SASLMechanisms(st.ChannelBinding), " ")}
}

// Handles reports the AUTH verb.
func (a *Auth) Handles(verb string) bool { return verb == "AUTH" }

// BeforeMail refuses MAIL before AUTH (RFC 4954 §6: 530 5.7.0).
func (a *Auth) BeforeMail(st State) *smtpreply.Reply {
	if st.AuthAccount == "" {
		return smtpreply.AuthRequired()
	}
	return nil
}

// Command runs AUTH mechanism [initial-response] (RFC 4954 §4).
func (a *Auth) Command(c Conn, _, arg string) *smtpreply.Reply {
	st := c.State()
	switch {
	case st.Helo == "":
		return c.Bad(smtpreply.BadSequence("Send EHLO first"))
	case st.AuthAccount != "": // RFC 4954 §4: no second AUTH
		return c.Bad(smtpreply.BadSequence("Already authenticated"))
	case st.InMail: // RFC 4954 §4: not during a mail transaction
		return c.Bad(smtpreply.BadSequence("AUTH not permitted during a mail transaction"))
	case !a.allowed(st):
		return c.Bad(smtpreply.EncryptionRequired())
	}
	creds, r := a.exchange(c, arg)
	if r != nil || creds == nil {
		return r
	}
	return a.login(c, st.ClientIP, *creds)
}

// login checks the credentials through the throttle.
func (a *Auth) login(c Conn, ip netip.Addr, creds accounts.Credentials) *smtpreply.Reply {
	log := c.Log().With("user", printable(creds.User))
	at, v := a.cfg.Throttle.Begin(ip, creds.User)
	if v.Blocked {
		log.Info("login refused: client blocked", "until", v.Until)
		return smtpreply.AuthClientBlocked(a.cfg.Hostname)
	}
	if v.Delay > 0 {
		a.cfg.Sleep(v.Delay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	acct, err := creds.Check(ctx, a.cfg.Auth.Authenticate)
	cancel()
	switch {
	case errors.Is(err, accounts.ErrAuthFailed):
		at.Failure()
		log.Info("login failed")
		return c.Bad(smtpreply.AuthFailed())
	case err != nil:
		at.Abandon()
		ref := obs.NewID()
		log.Error("login: checking the password failed", "ref", ref, "err", err)
		return smtpreply.AuthTemporaryFailure(ref)
	}
	at.Success()
	if failed, r := finishSCRAM(c, creds); failed {
		return r
	}
	c.SetAuthAccount(acct.Address)
	c.Log().Info("login")
	return smtpreply.AuthSucceeded()
}
