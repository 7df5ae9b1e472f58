package ops

import (
	"context"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// Issue 13: a domain added without a postmaster got none (RFC 5321
// §4.5.1), nor an abuse@ (RFC 2142 §2). AddDomain says where they go, and
// with a postmaster named makes them aliases of it.
func TestAddDomainPostmaster(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	acc := testkit.Accounts(st, accounts.Options{})
	d := NewDirectory(acc, "")
	want := func(nd NewDomain, err error, via Where, postmaster string) {
		t.Helper()
		must(t, err)
		if nd.Via != via || nd.Postmaster != postmaster ||
			!slices.Equal(nd.Roles, []string{"postmaster@" + nd.Domain, "abuse@" + nd.Domain}) {
			t.Fatalf("AddDomain = %+v, want via %d to %q", nd, via, postmaster)
		}
		for _, role := range nd.Roles {
			if r, err := acc.Resolve(ctx, role); via == ViaAliases && (err != nil || len(r.Local)+len(r.Remote) != 1) {
				t.Errorf("%s resolves to %+v, %v", role, r, err)
			}
		}
		if got, err := acc.Postmaster(ctx, ""); via == ViaFallback && (err != nil || got != postmaster) {
			t.Errorf("Postmaster() = %q, %v; AddDomain said %q", got, err, postmaster)
		}
	}

	// A fresh server: nowhere yet, the first account gets them.
	nd, err := d.AddDomain(ctx, "example.org", "")
	want(nd, err, Nowhere, "")
	_, err = d.AddUser(ctx, "alice@example.org", "pw")
	must(t, err)
	nd, err = d.AddDomain(ctx, "example.net", "")
	want(nd, err, ViaFallback, "alice@example.org")

	// Named: aliases, to a local account or a remote address.
	nd, err = d.AddDomain(ctx, "Example.COM", "Alice@example.org")
	want(nd, err, ViaAliases, "alice@example.org")
	nd, err = d.AddDomain(ctx, "example.info", "hostmaster@remote.example")
	want(nd, err, ViaAliases, "hostmaster@remote.example")
	as, err := d.Aliases(ctx)
	must(t, err)
	if got := len(as); got != 4 || as[0].Address != "abuse@example.com" || as[0].Targets[0] != "alice@example.org" {
		t.Errorf("aliases %+v, want abuse@ and postmaster@ of example.com and example.info", as)
	}
	r, err := acc.Resolve(ctx, "abuse@example.com")
	if err != nil || len(r.Local) != 1 {
		t.Errorf("abuse@example.com resolves to %+v, %v", r, err)
	}

	// delivery.postmaster configured: they go there.
	_, err = d.AddUser(ctx, "bob@example.org", "pw")
	must(t, err)
	nd, err = NewDirectory(acc, "bob@example.org").AddDomain(ctx, "example.biz", "")
	want(nd, err, ViaConfig, "bob@example.org")
	// Without: the postmaster@ of a local domain (example.com's, made
	// above) comes before the oldest account.
	nd, err = d.AddDomain(ctx, "example.edu", "")
	want(nd, err, ViaFallback, "postmaster@example.com")
}
