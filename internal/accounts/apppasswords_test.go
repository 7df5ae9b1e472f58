package accounts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// authOK asserts that Authenticate accepts user and password for acct.
func authOK(t *testing.T, f *fixture, what, user, password string, acct store.Account) {
	t.Helper()
	got, err := f.svc.Authenticate(f.ctx, user, password)
	if err != nil || got.ID != acct.ID {
		t.Errorf("%s: Authenticate = %v, %v; want account %v", what, got.ID, err, acct.ID)
	}
}

// authFails asserts that Authenticate refuses user and password.
func authFails(t *testing.T, f *fixture, what, user, password string) {
	t.Helper()
	if _, err := f.svc.Authenticate(f.ctx, user, password); err != ErrAuthFailed {
		t.Errorf("%s: Authenticate = %v, want exactly ErrAuthFailed", what, err)
	}
}

func TestAppPasswords(t *testing.T) {
	// The cache off: a revoked password must fail on its own merits.
	f := newFixture(t, Options{AuthCacheTTL: -1})
	acct := f.user("bob@example.org")
	f.extra("bob@example.org", "robert@example.org")
	const main = "secret bob@example.org"
	phone, err := f.svc.AddAppPassword(f.ctx, "Bob@Example.org", "phone")
	if err != nil || len(phone) != 26 {
		t.Fatalf("AddAppPassword = %q, %v", phone, err)
	}
	laptop, err := f.svc.AddAppPassword(f.ctx, "robert@example.org", "laptop-2")
	if err != nil || laptop == phone {
		t.Fatalf("AddAppPassword = %q, %v", laptop, err)
	}
	// Stored hashed: neither secret is in the key/value entries.
	for k, v := range f.dir.kv {
		if strings.Contains(string(v), phone) || strings.Contains(string(v), laptop) || strings.Contains(string(v), phone[4:]) {
			t.Errorf("%s holds a secret in clear: %s", k, v)
		}
	}
	authOK(t, f, "phone", "bob@example.org", phone, acct)
	authOK(t, f, "laptop, by an extra address", "ROBERT@example.org", laptop, acct)
	authOK(t, f, "main password", "bob@example.org", main, acct)
	authFails(t, f, "phone's secret, changed", "bob@example.org", phone[:25]+"x")
	authFails(t, f, "another account's app password", "alice@example.org", phone)
	// The web and API logins take the main password only.
	if _, err := f.svc.AuthenticatePassword(f.ctx, "bob@example.org", phone); err != ErrAuthFailed {
		t.Errorf("AuthenticatePassword with an app password = %v, want ErrAuthFailed", err)
	}
	if _, err := f.svc.AuthenticatePassword(f.ctx, "bob@example.org", main); err != nil {
		t.Errorf("AuthenticatePassword with the main password: %v", err)
	}

	list, err := f.svc.AppPasswords(f.ctx, "bob@example.org")
	if err != nil || len(list) != 2 || list[0].Name != "laptop-2" || list[1].Name != "phone" || list[0].Created.IsZero() {
		t.Errorf("AppPasswords = %+v, %v", list, err)
	}

	// The main password refused for protocols while app passwords exist.
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAppPasswordsOnly, true))
	authFails(t, f, "main password, app passwords only", "bob@example.org", main)
	authOK(t, f, "phone, app passwords only", "bob@example.org", phone, acct)
	if _, err := f.svc.AuthenticatePassword(f.ctx, "bob@example.org", main); err != nil {
		t.Errorf("AuthenticatePassword with app passwords only: %v", err)
	}

	// Revoked, then refused; the other keeps working.
	must(t, f.svc.RevokeAppPassword(f.ctx, "bob@example.org", "phone"))
	authFails(t, f, "revoked phone", "bob@example.org", phone)
	authOK(t, f, "laptop after phone's revocation", "bob@example.org", laptop, acct)
	wantErr(t, "revoke twice", f.svc.RevokeAppPassword(f.ctx, "bob@example.org", "phone"), store.KindNotFound, "phone")
	// With none left, the main password works again: nobody is locked out.
	must(t, f.svc.RevokeAppPassword(f.ctx, "bob@example.org", "laptop-2"))
	authOK(t, f, "main password, no app passwords left", "bob@example.org", main, acct)
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAppPasswordsOnly, false))
}

func TestAppPasswordErrors(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	f.user("alice@example.org")
	_, err := f.svc.AddAppPassword(f.ctx, "bob@example.org", "phone")
	must(t, err)
	for _, c := range []struct {
		what, address, name string
		kind                store.Kind
	}{
		{"duplicate name", "BOB@example.org", "phone", store.KindExists},
		{"unknown account", "nobody@example.org", "phone", store.KindNotFound},
		{"empty name", "bob@example.org", "", store.KindInvalid},
		{"name with a slash", "bob@example.org", "a/b", store.KindInvalid},
		{"name starting with a dot", "bob@example.org", "..", store.KindInvalid},
		{"long name", "bob@example.org", strings.Repeat("a", 65), store.KindInvalid},
	} {
		_, err := f.svc.AddAppPassword(f.ctx, c.address, c.name)
		wantErr(t, c.what, err, c.kind)
	}
	wantErr(t, "revoke another account's", f.svc.RevokeAppPassword(f.ctx, "alice@example.org", "phone"), store.KindNotFound)
	wantErr(t, "revoke a bad name", f.svc.RevokeAppPassword(f.ctx, "bob@example.org", "../x"), store.KindNotFound)
	for i := 1; i < MaxAppPasswords; i++ {
		_, err := f.svc.AddAppPassword(f.ctx, "bob@example.org", fmt.Sprint("d", i))
		must(t, err)
	}
	_, err = f.svc.AddAppPassword(f.ctx, "bob@example.org", "one-too-many")
	wantErr(t, "over the limit", err, store.KindInvalid, "revoke one first")
}

// A deleted account's app passwords and flags go with it: an account
// created later with the same address inherits none.
func TestDeleteUserForgetsAppPasswords(t *testing.T) {
	f := newFixture(t, Options{AuthCacheTTL: -1})
	f.user("bob@example.org")
	secret, err := f.svc.AddAppPassword(f.ctx, "bob@example.org", "phone")
	must(t, err)
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAdmin, true))
	must(t, f.svc.DeleteUser(f.ctx, "bob@example.org"))
	if len(f.dir.kv) != 0 {
		t.Errorf("entries left after DeleteUser: %v", slices.Collect(maps.Keys(f.dir.kv)))
	}
	f.user("bob@example.org")
	authFails(t, f, "old app password on the new account", "bob@example.org", secret)
	if flags, err := f.svc.Flags(f.ctx, "bob@example.org"); err != nil || len(flags) != 0 {
		t.Errorf("flags of the new account: %v, %v", flags, err)
	}
}

// A login verifies only the app passwords whose first characters match:
// a wrong password costs one hash however many app passwords there are.
func TestAppPasswordHashWork(t *testing.T) {
	f := newFixture(t, Options{AuthCacheTTL: -1})
	acct := f.user("bob@example.org")
	var secret string
	for i := range 5 {
		var err error
		secret, err = f.svc.AddAppPassword(f.ctx, "bob@example.org", fmt.Sprint("d", i))
		must(t, err)
	}
	var hashes atomic.Int64
	f.svc.onHash = func() { hashes.Add(1) }
	authFails(t, f, "wrong password", "bob@example.org", "wrong password")
	if n := hashes.Load(); n != 1 {
		t.Errorf("a wrong password cost %d hashes, want 1", n)
	}
	// A device's app password is checked before the main password.
	hashes.Store(0)
	authOK(t, f, "app password", "bob@example.org", secret, acct)
	if n := hashes.Load(); n != 1 {
		t.Errorf("an app password cost %d hashes, want 1", n)
	}
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAppPasswordsOnly, true))
	hashes.Store(0)
	authFails(t, f, "wrong password, app passwords only", "bob@example.org", "wrong password")
	if n := hashes.Load(); n != 1 {
		t.Errorf("a wrong password with app passwords only cost %d hashes, want 1 (as for an unknown user)", n)
	}
}

func TestFlags(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAdmin, true))
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAdmin, true)) // twice is fine
	if on, err := f.svc.HasFlag(f.ctx, "BOB@example.org", FlagAdmin); err != nil || !on {
		t.Errorf("HasFlag = %v, %v", on, err)
	}
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAdmin, false))
	must(t, f.svc.SetFlag(f.ctx, "bob@example.org", FlagAdmin, false))
	if on, err := f.svc.HasFlag(f.ctx, "bob@example.org", FlagAdmin); err != nil || on {
		t.Errorf("HasFlag after off = %v, %v", on, err)
	}
	wantErr(t, "unknown flag", f.svc.SetFlag(f.ctx, "bob@example.org", "root", true), store.KindInvalid)
	wantErr(t, "unknown account", f.svc.SetFlag(f.ctx, "nobody@example.org", FlagAdmin, true), store.KindNotFound)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// DeleteUser removes the account's filter entries (scripts, vacation
// replies, duplicate marks, failure reports) and nobody else's: a later
// account of the same address must not run the old owner's script.
func TestDeleteUserForgetsFilters(t *testing.T) {
	f := newFixture(t, Options{AuthCacheTTL: -1})
	f.user("bob@example.org")
	f.user("bob2@example.org")
	mine := []string{"sieve/bob@example.org/active", "sieve/bob@example.org/script/main",
		"vacation/bob@example.org/0a1b", "sieve-duplicate/bob@example.org/2c3d", "sieve-failure/bob@example.org/4e5f"}
	theirs := []string{"sieve/bob2@example.org/active", "sieve/bob@example.org.u/active", "vacation/bob@example.org.u/0a1b"}
	for _, k := range append(slices.Clone(mine), theirs...) {
		must(t, f.dir.KVCreate(f.ctx, k, []byte("x")))
	}
	must(t, f.svc.DeleteUser(f.ctx, "bob@example.org"))
	var left []string
	for _, k := range slices.Sorted(maps.Keys(f.dir.kv)) {
		if !strings.HasPrefix(k, "accounts/bob2@example.org/") { // bob2's own (SCRAM secrets)
			left = append(left, k)
		}
	}
	if !slices.Equal(left, theirs) {
		t.Errorf("entries left after DeleteUser: %v, want %v", left, theirs)
	}
}
