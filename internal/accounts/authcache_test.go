package accounts

import (
	"testing"
	"time"
)

// authWithoutHashing reports whether Authenticate(name, pw) succeeds while the
// only hash slot is taken: true means it answered from the cache, false
// that it waited for a verification (or failed); the slot is freed after.
func authWithoutHashing(t *testing.T, f *fixture, name, pw string) bool {
	t.Helper()
	f.svc.hashSlots <- struct{}{} // occupy the only slot
	defer func() { <-f.svc.hashSlots }()
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Authenticate(f.ctx, name, pw)
		done <- err
	}()
	select {
	case err := <-done:
		return err == nil
	case <-time.After(200 * time.Millisecond):
		<-f.svc.hashSlots // let it verify
		err := <-done
		f.svc.hashSlots <- struct{}{}
		if err == nil && pw != "secret "+name {
			t.Errorf("Authenticate(%q, %q) succeeded", name, pw)
		}
		return false
	}
}

// TestAuthCache: a password that verified is accepted again without a
// hash computation; a wrong one never is; a new password, a deleted
// account, the end of the TTL and a turned-off cache all mean a full
// verification again.
func TestAuthCache(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, Options{HashConcurrency: 1, AuthCacheTTL: time.Minute, Now: func() time.Time { return now }})
	const name = "bob@example.org"
	f.user(name)
	pw := "secret " + name
	if authWithoutHashing(t, f, name, pw) {
		t.Fatal("first login answered without verifying the password")
	}
	if !authWithoutHashing(t, f, name, pw) {
		t.Fatal("second login with the same password was verified again")
	}
	if !authWithoutHashing(t, f, "BOB@Example.org", pw) {
		t.Error("the cache is not per account (another spelling of the address)")
	}
	if authWithoutHashing(t, f, name, "wrong") || authWithoutHashing(t, f, name, "wrong") {
		t.Error("a wrong password was accepted from the cache")
	}
	now = now.Add(time.Minute)
	if authWithoutHashing(t, f, name, pw) {
		t.Error("an expired entry was used")
	}
	// A new password: the old one fails at once, the new one verifies.
	if err := f.svc.SetPassword(f.ctx, name, "new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, name, pw); err != ErrAuthFailed {
		t.Errorf("old password after SetPassword: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, name, "new password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	// A deleted account: nothing to find.
	if err := f.svc.DeleteUser(f.ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, name, "new password"); err != ErrAuthFailed {
		t.Errorf("deleted account: %v", err)
	}
}

func TestAuthCacheOff(t *testing.T) {
	f := newFixture(t, Options{HashConcurrency: 1, AuthCacheTTL: -1})
	const name = "carol@example.org"
	f.user(name)
	for i := 0; i < 2; i++ {
		if authWithoutHashing(t, f, name, "secret "+name) {
			t.Fatalf("login %d answered without verifying, with the cache off", i+1)
		}
	}
}

// TestAuthCacheBound: the cache stays within its entry bound.
func TestAuthCacheBound(t *testing.T) {
	c := newAuthCache(time.Hour, nil)
	for i := range authCacheEntries + 500 {
		c.remember(1, string(rune(i))+"hash", "pw")
	}
	if n := len(c.m); n > authCacheEntries {
		t.Errorf("%d entries, bound %d", n, authCacheEntries)
	}
	if !c.verified(1, string(rune(authCacheEntries+499))+"hash", "pw") {
		t.Error("the newest entry was evicted")
	}
}
