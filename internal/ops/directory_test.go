package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// snapshot is everything the directory lists.
func snapshot(t *testing.T, d *Directory) string {
	t.Helper()
	ctx := context.Background()
	ds, err := d.Domains(ctx)
	must(t, err)
	us, err := d.Users(ctx)
	must(t, err)
	as, err := d.Aliases(ctx)
	must(t, err)
	return fmt.Sprint(ds, us, as)
}

func TestDirectory(t *testing.T) {
	ctx := context.Background()
	d, st := newDirectory(t)
	addDomain(t, d, "example.org")
	addDomain(t, d, "Example.NET")
	if ds, err := d.Domains(ctx); err != nil || !slices.Equal(ds, []string{"example.net", "example.org"}) {
		t.Errorf("Domains = %q, %v", ds, err)
	}
	if local, err := d.IsLocalDomain(ctx, "EXAMPLE.org"); err != nil || !local {
		t.Errorf("IsLocalDomain = %v, %v", local, err)
	}

	// A given password is used and not returned; an empty one is made,
	// returned once, and is the account's password.
	pw, err := d.AddUser(ctx, "alice@example.org", "s3cret-Pass")
	if err != nil || pw.Generated != "" {
		t.Fatalf("AddUser with a password: %+v, %v", pw, err)
	}
	pw, err = d.AddUser(ctx, "Bob@example.org", "")
	if err != nil || len(pw.Generated) != 26 {
		t.Fatalf("AddUser without a password: %+v, %v", pw, err)
	}
	if _, err := st.LookupAddress(ctx, "bob@example.org"); err != nil {
		t.Errorf("bob's account: %v", err)
	}
	again, err := d.SetPassword(ctx, "bob@example.org", "")
	if err != nil || again.Generated == "" || again.Generated == pw.Generated {
		t.Errorf("SetPassword generated %q after %q (%v), want a new one", again.Generated, pw.Generated, err)
	}
	if res, err := d.SetPassword(ctx, "alice@example.org", "new-pass"); err != nil || res.Generated != "" {
		t.Errorf("SetPassword with a password: %+v, %v", res, err)
	}

	must(t, d.AddAddress(ctx, "alice@example.org", "ali@example.net"))
	must(t, d.AddAlias(ctx, "info@example.org", []string{"alice@example.org", "carol@remote.example"}))
	must(t, d.AddAlias(ctx, "@example.net", []string{"alice@example.org"}))
	want := "[example.net example.org] [{alice@example.org [ali@example.net]} {bob@example.org []}] " +
		"[{@example.net [alice@example.org]} {info@example.org [alice@example.org carol@remote.example]}]"
	if got := snapshot(t, d); got != want {
		t.Errorf("directory:\n got %s\nwant %s", got, want)
	}

	must(t, d.DeleteAddress(ctx, "ali@example.net"))
	must(t, d.DeleteAlias(ctx, "info@example.org"))
	must(t, d.DeleteUser(ctx, "bob@example.org"))
	want = "[example.net example.org] [{alice@example.org []}] [{@example.net [alice@example.org]}]"
	if got := snapshot(t, d); got != want {
		t.Errorf("after deletions:\n got %s\nwant %s", got, want)
	}
}

// Every refused change is an *Error of the kind an API maps to its status,
// with a message for the operator, and changes nothing.
func TestDirectoryErrors(t *testing.T) {
	ctx := context.Background()
	d, _ := newDirectory(t)
	addDomain(t, d, "example.org")
	_, err := d.AddUser(ctx, "alice@example.org", "pw")
	must(t, err)
	must(t, d.AddAlias(ctx, "info@example.org", []string{"alice@example.org"}))
	before := snapshot(t, d)
	for _, tc := range []struct {
		name string
		do   func() error
		kind Kind
	}{
		{"user in unknown domain", func() error { _, err := d.AddUser(ctx, "x@unknown.example", "pw"); return err }, KindNotFound},
		{"duplicate user", func() error { _, err := d.AddUser(ctx, "ALICE@Example.ORG", "pw"); return err }, KindExists},
		{"user taken by alias", func() error { _, err := d.AddUser(ctx, "info@example.org", "pw"); return err }, KindExists},
		{"invalid address", func() error { _, err := d.AddUser(ctx, "not an address", "pw"); return err }, KindInvalid},
		{"generated password, unknown domain", func() error { _, err := d.AddUser(ctx, "y@unknown.example", ""); return err }, KindNotFound},
		{"passwd of unknown user", func() error { _, err := d.SetPassword(ctx, "nobody@example.org", "pw"); return err }, KindNotFound},
		{"del unknown user", func() error { return d.DeleteUser(ctx, "nobody@example.org") }, KindNotFound},
		{"del user an alias forwards to", func() error { return d.DeleteUser(ctx, "alice@example.org") }, KindInvalid},
		{"duplicate domain", func() error { _, err := d.AddDomain(ctx, "example.org", ""); return err }, KindExists},
		{"invalid domain", func() error { _, err := d.AddDomain(ctx, "exa mple..org", ""); return err }, KindInvalid},
		// The role addresses of a new domain must lead somewhere now.
		{"postmaster in the new domain", func() error { _, err := d.AddDomain(ctx, "example.net", "bob@example.net"); return err }, KindInvalid},
		{"postmaster nowhere", func() error { _, err := d.AddDomain(ctx, "example.net", "nobody@example.org"); return err }, KindInvalid},
		{"invalid postmaster", func() error { _, err := d.AddDomain(ctx, "example.net", "not an address"); return err }, KindInvalid},
		{"del unknown domain", func() error { return d.DeleteDomain(ctx, "unknown.example") }, KindNotFound},
		{"del domain in use", func() error { return d.DeleteDomain(ctx, "example.org") }, KindInvalid},
		{"address of unknown account", func() error { return d.AddAddress(ctx, "nobody@example.org", "n@example.org") }, KindNotFound},
		{"address taken", func() error { return d.AddAddress(ctx, "alice@example.org", "info@example.org") }, KindExists},
		{"del primary as address", func() error { return d.DeleteAddress(ctx, "alice@example.org") }, KindInvalid},
		{"alias in unknown domain", func() error { return d.AddAlias(ctx, "x@unknown.example", []string{"alice@example.org"}) }, KindNotFound},
		{"alias over a user", func() error { return d.AddAlias(ctx, "alice@example.org", []string{"info@example.org"}) }, KindExists},
		{"invalid alias target", func() error { return d.AddAlias(ctx, "sales@example.org", []string{"not an address"}) }, KindInvalid},
		{"del unknown alias", func() error { return d.DeleteAlias(ctx, "nobody@example.org") }, KindNotFound},
		{"quota of unknown user", func() error { _, err := d.Quota(ctx, "nobody@example.org"); return err }, KindNotFound},
		{"negative quota", func() error { _, err := d.SetQuota(ctx, "alice@example.org", 1, -1); return err }, KindInvalid},
	} {
		err := tc.do()
		wantKind(t, tc.name, err, tc.kind)
		if err != nil && (err.Error() == "" || strings.HasPrefix(err.Error(), "store:")) {
			t.Errorf("%s: message %q, want the cause alone", tc.name, err)
		}
		if after := snapshot(t, d); after != before {
			t.Errorf("%s changed the directory:\nbefore %s\nafter  %s", tc.name, before, after)
		}
	}
}

func TestQuota(t *testing.T) {
	ctx := context.Background()
	d, _ := newDirectory(t)
	addDomain(t, d, "example.org")
	_, err := d.AddUser(ctx, "ann@example.org", "pw")
	must(t, err)
	if q, err := d.Quota(ctx, "ann@example.org"); err != nil || q != (Quota{}) {
		t.Errorf("quota of a new user: %+v, %v", q, err)
	}
	q, err := d.SetQuota(ctx, "ANN@example.org", 1<<20, 100)
	if want := (Quota{MaxMessages: 100, MaxBytes: 1 << 20}); err != nil || q != want {
		t.Errorf("SetQuota = %+v, %v; want %+v", q, err, want)
	}
	if _, err := d.SetQuota(ctx, "ann@example.org", -1, 5); err == nil {
		t.Fatal("a negative limit was accepted")
	}
	if q, err := d.Quota(ctx, "ann@example.org"); err != nil || q.MaxMessages != 100 || q.MaxBytes != 1<<20 {
		t.Errorf("a refused change changed the quota: %+v, %v", q, err)
	}
}
