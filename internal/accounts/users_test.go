package accounts

import (
	"errors"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func TestAddUser(t *testing.T) {
	f := newFixture(t, Options{})
	acct, err := f.svc.AddUser(f.ctx, " User@BÜCHER.Example ", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if acct.Address != "user@xn--bcher-kva.example" {
		t.Fatalf("stored address %q, want the canonical A-label form", acct.Address)
	}
	if _, err := decodeHash(acct.PasswordHash); err != nil {
		t.Fatalf("stored hash %q: %v", acct.PasswordHash, err)
	}
	if got, _ := f.dir.LookupAddress(f.ctx, "user@xn--bcher-kva.example"); got != acct.ID {
		t.Fatalf("directory lookup = %v, want %v", got, acct.ID)
	}

	_, err = f.svc.AddUser(f.ctx, "USER@xn--bcher-kva.example", "pw")
	wantErr(t, "duplicate", err, store.KindExists, "user@xn--bcher-kva.example")
	_, err = f.svc.AddUser(f.ctx, "user@nope.example", "pw")
	wantNotLocal(t, "unknown domain", err)
	_, err = f.svc.AddUser(f.ctx, "new@example.org", "")
	wantErr(t, "empty password", err, store.KindInvalid, "password is empty")
	_, err = f.svc.AddUser(f.ctx, "not an address", "pw")
	wantErr(t, "invalid", err, store.KindInvalid, "invalid address")
	_, err = f.svc.AddUser(f.ctx, "user@[192.0.2.1]", "pw")
	wantErr(t, "literal", err, store.KindInvalid, "address literal")

	f.alias("sales@example.org", "user@bücher.example")
	_, err = f.svc.AddUser(f.ctx, "Sales@example.org", "pw")
	wantErr(t, "alias taken", err, store.KindExists, "already an alias")
	if _, err := f.dir.LookupAddress(f.ctx, "new@example.org"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("failed AddUser created an account: %v", err)
	}
}

func TestUsersAndAddresses(t *testing.T) {
	f := newFixture(t, Options{})
	b := f.user("bob@example.org")
	a := f.user("alice@example.org")
	f.extra("Bob@example.org", "Robert@example.org")
	f.extra("robert@example.org", "bob@bücher.example")

	err := f.svc.AddAddress(f.ctx, "bob@example.org", "ALICE@example.org")
	wantErr(t, "taken by account", err, store.KindExists, "alice@example.org")
	wantErr(t, "taken by extra", f.svc.AddAddress(f.ctx, "alice@example.org", "robert@example.org"), store.KindExists)
	wantNotLocal(t, "unknown domain", f.svc.AddAddress(f.ctx, "alice@example.org", "a@nope.example"))
	wantErr(t, "unknown account", f.svc.AddAddress(f.ctx, "nobody@example.org", "x@example.org"),
		store.KindNotFound, "no account has the address")

	users, err := f.svc.Users(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{ID: a.ID, Address: "alice@example.org"},
		{ID: b.ID, Address: "bob@example.org", Addresses: []string{"bob@xn--bcher-kva.example", "robert@example.org"}},
	}
	if !slices.EqualFunc(users, want, func(x, y User) bool {
		return x.ID == y.ID && x.Address == y.Address && slices.Equal(x.Addresses, y.Addresses)
	}) {
		t.Fatalf("Users = %+v, want %+v", users, want)
	}
	// User reads one account, by any of its addresses, as Users lists it.
	for _, addr := range []string{"bob@example.org", "Robert@example.org", "bob@bücher.example"} {
		u, err := f.svc.User(f.ctx, addr)
		if err != nil || u.ID != b.ID || u.Address != want[1].Address || !slices.Equal(u.Addresses, want[1].Addresses) {
			t.Errorf("User(%s) = %+v, %v; want %+v", addr, u, err, want[1])
		}
	}
	_, err = f.svc.User(f.ctx, "nobody@example.org")
	wantErr(t, "User of an unknown address", err, store.KindNotFound)

	wantErr(t, "delete primary address", f.svc.DeleteAddress(f.ctx, "bob@example.org"), store.KindInvalid, "primary address")
	if err := f.svc.DeleteAddress(f.ctx, "ROBERT@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.LookupAddress(f.ctx, "robert@example.org"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("robert@example.org still resolves: %v", err)
	}
}

func TestDeleteUser(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	f.extra("bob@example.org", "robert@example.org")
	f.alias("team@example.org", "robert@example.org")

	wantErr(t, "extra address", f.svc.DeleteUser(f.ctx, "robert@example.org"), store.KindInvalid, "extra address")
	wantErr(t, "alias target", f.svc.DeleteUser(f.ctx, "bob@example.org"), store.KindInvalid, "team@example.org")
	wantErr(t, "alias target of address", f.svc.DeleteAddress(f.ctx, "robert@example.org"), store.KindInvalid, "team@example.org")
	if err := f.svc.DeleteAlias(f.ctx, "team@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser(f.ctx, "BOB@example.org"); err != nil {
		t.Fatal(err)
	}
	users, _ := f.svc.Users(f.ctx)
	if len(users) != 0 {
		t.Fatalf("Users after delete = %+v", users)
	}
	wantErr(t, "again", f.svc.DeleteUser(f.ctx, "bob@example.org"), store.KindNotFound)
	_, err := f.svc.Resolve(f.ctx, "robert@example.org")
	wantErr(t, "extra address after delete", err, store.KindNotFound)
}

func TestSetPassword(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	f.extra("bob@example.org", "robert@example.org")
	if err := f.svc.SetPassword(f.ctx, "Robert@example.org", "new pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, "bob@example.org", "new pw"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, "bob@example.org", "secret bob@example.org"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("old password: %v, want ErrAuthFailed", err)
	}
	wantErr(t, "empty", f.svc.SetPassword(f.ctx, "bob@example.org", ""), store.KindInvalid)
	wantErr(t, "unknown", f.svc.SetPassword(f.ctx, "nobody@example.org", "x"), store.KindNotFound)
}
