package ops

import (
	"context"
	"slices"
	"strings"
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

// TestDeleteDomainWithRoleAliases: the postmaster@ and abuse@ aliases that
// AddDomain made go with the domain when nothing else of it is left
// (review of issue 13: domain del was refused because of them); anything
// else of the domain still holds it, and is named.
func TestDeleteDomainWithRoleAliases(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	acc := testkit.Accounts(st, accounts.Options{})
	d := NewDirectory(acc, "")
	_, err := d.AddDomain(ctx, "example.org", "")
	must(t, err)
	_, err = d.AddUser(ctx, "alice@example.org", "pw")
	must(t, err)
	_, err = d.AddDomain(ctx, "new.example", "alice@example.org")
	must(t, err)
	must(t, d.AddAlias(ctx, "sales@new.example", []string{"alice@example.org"}))
	err = d.DeleteDomain(ctx, "new.example")
	wantKind(t, "del of a domain with another alias", err, KindInvalid)
	if err != nil && !strings.Contains(err.Error(), "sales@new.example") {
		t.Errorf("the refusal does not name what to delete: %v", err)
	}
	must(t, d.DeleteAlias(ctx, "sales@new.example"))
	must(t, d.DeleteDomain(ctx, "new.example"))
	if ds, err := d.Domains(ctx); err != nil || !slices.Equal(ds, []string{"example.org"}) {
		t.Errorf("domains after del: %v, %v", ds, err)
	}
	aliases, err := st.Aliases(ctx)
	must(t, err)
	if len(aliases) != 0 {
		t.Errorf("aliases left after domain del: %v", aliases)
	}
	// Added again, the domain starts afresh.
	_, err = d.AddDomain(ctx, "new.example", "alice@example.org")
	must(t, err)
}
