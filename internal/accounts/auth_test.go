package accounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, Options{})
	acct := f.user("user@xn--bcher-kva.example")
	f.extra("user@bücher.example", "alias.name@example.org")
	const pw = "secret user@xn--bcher-kva.example"

	for _, name := range []string{
		"user@xn--bcher-kva.example", "User@BÜCHER.example", "USER@bücher.example",
		"Alias.Name@Example.org", `"user"@bücher.example`,
	} {
		got, err := f.svc.Authenticate(f.ctx, name, pw)
		if err != nil {
			t.Errorf("Authenticate(%q): %v", name, err)
		} else if got.ID != acct.ID {
			t.Errorf("Authenticate(%q) = account %v, want %v", name, got.ID, acct.ID)
		}
	}
	for _, c := range []struct{ name, pw string }{
		{"user@bücher.example", "wrong"},
		{"user@bücher.example", pw + " "},
		{"user@bücher.example", ""},
		{"nobody@example.org", pw},
		{"user@other.example", pw},
		{"not an address", pw},
		{"", pw},
		{"user@[192.0.2.1]", pw},
	} {
		_, err := f.svc.Authenticate(f.ctx, c.name, c.pw)
		if err != ErrAuthFailed {
			t.Errorf("Authenticate(%q, %q) = %v, want exactly ErrAuthFailed", c.name, c.pw, err)
		}
	}
}

// TestAuthenticateUnknownUserHashes checks that a failure for an unknown
// user waits for a hash slot and computes a hash, as a wrong password does.
func TestAuthenticateUnknownUserHashes(t *testing.T) {
	f := newFixture(t, Options{HashConcurrency: 1})
	f.user("bob@example.org")
	for _, name := range []string{"nobody@example.org", "not an address", "bob@example.org"} {
		f.svc.hashSlots <- struct{}{} // occupy the only slot
		done := make(chan error, 1)
		go func() {
			_, err := f.svc.Authenticate(f.ctx, name, "wrong")
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("Authenticate(%q) returned %v without waiting for a hash slot", name, err)
		case <-time.After(20 * time.Millisecond):
		}
		<-f.svc.hashSlots
		if err := <-done; !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("Authenticate(%q) = %v", name, err)
		}
	}
}

func TestAuthenticateErrors(t *testing.T) {
	f := newFixture(t, Options{})
	acct := f.user("bob@example.org")
	f.dir.SetPasswordHash(f.ctx, acct.ID, "garbage")
	_, err := f.svc.Authenticate(f.ctx, "bob@example.org", "pw")
	wantErr(t, "malformed hash", err, store.KindInternal, "bob@example.org", "not an argon2id PHC string")
	if errors.Is(err, ErrAuthFailed) {
		t.Fatal("a damaged hash reported as a wrong password")
	}

	g := newFixture(t, Options{HashConcurrency: 1})
	g.user("bob@example.org")
	g.svc.hashSlots <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.svc.Authenticate(ctx, "bob@example.org", "secret bob@example.org")
	wantErr(t, "cancelled", err, store.KindTemporary)
}
