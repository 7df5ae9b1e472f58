package accounts

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	xscram "github.com/xdg-go/scram"

	"github.com/petrelmail/petrel/internal/scram"
	"github.com/petrelmail/petrel/internal/store"
)

// scramRun runs a SCRAM exchange between NewSASLServer and an
// independent client (github.com/xdg-go/scram). exporter is the
// connection's binding data as the server sees it; clientCB what the
// client binds to (its Type "" means no binding, "y" claims support).
// It returns the credentials' check and whether the client verified
// the server's signature; err is the exchange's own error.
// errExchange marks scramRun's errors of the exchange itself (not of
// the check).
var errExchange = errors.New("exchange failed")

func scramRun(f *fixture, user, password string, exporter []byte, claim bool, clientCB []byte) (store.Account, bool, error) {
	f.t.Helper()
	cl, err := xscram.SHA256.NewClient(user, password, "")
	if err != nil {
		f.t.Fatal(err)
	}
	mech, conv := scram.SHA256, cl.NewConversation()
	switch {
	case clientCB != nil:
		mech = scram.SHA256Plus
		conv = cl.NewConversationWithChannelBinding(xscram.ChannelBinding{Type: xscram.ChannelBindingTLSExporter, Data: clientCB})
	case claim:
		conv = cl.NewConversationAdvertisingChannelBinding()
	}
	var creds Credentials
	srv := f.svc.NewSASLServer(f.ctx, mech, exporter, &creds)
	if srv == nil {
		f.t.Fatalf("no server for %s", mech)
	}
	msg, err := conv.Step("")
	if err != nil {
		f.t.Fatal(err)
	}
	for {
		ch, done, err := srv.Next([]byte(msg))
		if err != nil {
			return store.Account{}, false, errors.Join(errExchange, err)
		}
		if done {
			break
		}
		if msg, err = conv.Step(string(ch)); err != nil {
			f.t.Fatalf("client refused %q: %v", ch, err)
		}
	}
	if !creds.SCRAM() || creds.User != user {
		f.t.Fatalf("credentials %+v", creds)
	}
	if creds.ServerFinal() != nil {
		f.t.Fatal("server-final before the check")
	}
	acct, err := creds.Check(f.ctx, nil)
	if err != nil {
		return acct, false, err
	}
	if _, err := conv.Step(string(creds.ServerFinal())); err != nil {
		f.t.Fatalf("client refused the server signature: %v", err)
	}
	return acct, conv.Valid(), nil
}

func TestSCRAMAgainstIndependentClient(t *testing.T) {
	f := newFixture(t, Options{})
	want := f.user("alice@example.org")
	pass := "secret alice@example.org"
	acct, valid, err := scramRun(f, "alice@example.org", pass, nil, false, nil)
	if err != nil || acct.ID != want.ID || !valid {
		t.Fatalf("SCRAM-SHA-256: %+v %v %v", acct, valid, err)
	}
	// Any spelling of any address of the account, as for PLAIN.
	if acct, _, err = scramRun(f, "ALICE@Example.ORG", pass, nil, false, nil); err != nil || acct.ID != want.ID {
		t.Fatalf("upper case: %+v %v", acct, err)
	}
	cb := bytes.Repeat([]byte{7}, scram.ExporterLen)
	if acct, valid, err = scramRun(f, "alice@example.org", pass, cb, false, cb); err != nil || acct.ID != want.ID || !valid {
		t.Fatalf("SCRAM-SHA-256-PLUS: %+v %v %v", acct, valid, err)
	}
	// The client bound to another channel (a man in the middle).
	other := bytes.Repeat([]byte{8}, scram.ExporterLen)
	if _, _, err = scramRun(f, "alice@example.org", pass, cb, false, other); !errors.Is(err, scram.ErrBinding) {
		t.Fatalf("other channel: %v", err)
	}
	// RFC 5802 §6: "y" where the server binds is a downgrade.
	if _, _, err = scramRun(f, "alice@example.org", pass, cb, true, nil); !errors.Is(err, scram.ErrDowngrade) {
		t.Fatalf("downgrade: %v", err)
	}
	if _, _, err = scramRun(f, "alice@example.org", pass, nil, true, nil); err != nil {
		t.Fatalf("\"y\" without binding on the server: %v", err)
	}
	if _, _, err = scramRun(f, "alice@example.org", "wrong", nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err = scramRun(f, "nobody@example.org", pass, nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSASLMechanisms(t *testing.T) {
	if got := strings.Join(SASLMechanisms(nil), " "); got != "SCRAM-SHA-256 PLAIN LOGIN" {
		t.Fatalf("without TLS: %s", got)
	}
	if got := strings.Join(SASLMechanisms([]byte{1}), " "); got != "SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN" {
		t.Fatalf("with binding: %s", got)
	}
	f := newFixture(t, Options{})
	var c Credentials
	if f.svc.NewSASLServer(f.ctx, "SCRAM-SHA-256-PLUS", nil, &c) != nil {
		t.Fatal("-PLUS offered without binding data")
	}
	if f.svc.NewSASLServer(f.ctx, "CRAM-MD5", nil, &c) != nil {
		t.Fatal("CRAM-MD5 offered")
	}
}

// An account made before SCRAM has no secrets: SCRAM fails until a
// login with the main password (PLAIN, LOGIN, USER/PASS) stores them;
// an app password login does not.
func TestSCRAMSecretsAfterPasswordLogin(t *testing.T) {
	f := newFixture(t, Options{})
	acct := f.user("bob@example.org")
	pass := "secret bob@example.org"
	if err := f.dir.KVDelete(f.ctx, scramKey(acct.Address, acct.PasswordHash)); err != nil {
		t.Fatalf("AddUser stored no SCRAM secrets: %v", err)
	}
	if _, _, err := scramRun(f, "bob@example.org", pass, nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("without secrets: %v", err)
	}
	app, err := f.svc.AddAppPassword(f.ctx, "bob@example.org", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, "bob@example.org", app); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scramRun(f, "bob@example.org", pass, nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("after an app password login: %v", err)
	}
	if _, _, err := scramRun(f, "bob@example.org", app, nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("SCRAM with an app password: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, "bob@example.org", pass); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scramRun(f, "bob@example.org", pass, nil, false, nil); err != nil {
		t.Fatalf("after a PLAIN login: %v", err)
	}
	// FlagAppPasswordsOnly refuses the main password over SCRAM too.
	if err := f.svc.SetFlag(f.ctx, "bob@example.org", FlagAppPasswordsOnly, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scramRun(f, "bob@example.org", pass, nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("app passwords only: %v", err)
	}
}

// A password change replaces the secrets: the old password fails, the
// new one works, one entry is left.
func TestSCRAMPasswordChange(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("carol@example.org")
	if err := f.svc.SetPassword(f.ctx, "carol@example.org", "new pass"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scramRun(f, "carol@example.org", "secret carol@example.org", nil, false, nil); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("old password: %v", err)
	}
	if _, _, err := scramRun(f, "carol@example.org", "new pass", nil, false, nil); err != nil {
		t.Fatalf("new password: %v", err)
	}
	infos, err := f.dir.KVList(f.ctx, scramPrefix("carol@example.org"))
	if err != nil || len(infos) != 1 {
		t.Fatalf("secrets entries %v %v, want 1", infos, err)
	}
	if err := f.svc.DeleteUser(f.ctx, "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	if infos, _ = f.dir.KVList(f.ctx, scramPrefix("carol@example.org")); len(infos) != 0 {
		t.Fatalf("DeleteUser left %v", infos)
	}
}

// An unknown user gets a server-first message like a real one's, with
// the same salt each time, so probing names tells nothing.
func TestSCRAMUnknownUserLooksReal(t *testing.T) {
	f := newFixture(t, Options{})
	first := func(user string) string {
		var c Credentials
		srv := f.svc.NewSASLServer(f.ctx, scram.SHA256, nil, &c)
		ch, _, err := srv.Next([]byte("n,,n=" + scram.EncodeName(user) + ",r=abc"))
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(ch), ",s=")
		return rest // salt and iterations
	}
	a, b := first("ghost@example.org"), first("ghost@example.org")
	if a != b || !strings.HasSuffix(a, ",i=4096") || a == first("other@example.org") {
		t.Fatalf("made-up salts %q %q", a, b)
	}
	var c Credentials
	srv := f.svc.NewSASLServer(f.ctx, scram.SHA256, nil, &c)
	if _, _, err := srv.Next([]byte("n,a=x@example.org,n=y@example.org,r=abc")); !errors.Is(err, ErrProxyLogin) {
		t.Fatalf("authzid of another user: %v", err)
	}
}

// failingLoads is a directory whose KVLoad fails: a store outage.
type failingLoads struct{ *fakeDir }

func (failingLoads) KVLoad(context.Context, string) ([]byte, error) {
	return nil, store.Errorf(store.KindTemporary, "kv load", "disk on fire")
}

// A directory failure while looking the secrets up is a store error at
// the check (a temporary failure for the protocols), not a wrong
// password the guard would count.
func TestSCRAMLookupFailure(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("dave@example.org")
	f.svc = New(failingLoads{f.dir}, Options{Argon: cheapArgon()})
	_, _, err := scramRun(f, "dave@example.org", "secret dave@example.org", nil, false, nil)
	if err == nil || errors.Is(err, ErrAuthFailed) || errors.Is(err, errExchange) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("lookup failure: %v", err)
	}
}
