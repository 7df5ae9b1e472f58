package accounts

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// resolveCase is one Resolve call and its expected outcome: accounts by
// primary address, remote addresses, missing targets.
type resolveCase struct {
	in      string
	local   []string
	remote  []string
	missing []string
}

func (f *fixture) check(cases []resolveCase) {
	f.t.Helper()
	for _, c := range cases {
		res, err := f.svc.Resolve(f.ctx, c.in)
		if err != nil {
			f.t.Errorf("Resolve(%q): %v", c.in, err)
			continue
		}
		var local []string
		for _, id := range res.Local {
			a, err := f.dir.Account(f.ctx, id)
			if err != nil {
				f.t.Fatal(err)
			}
			local = append(local, a.Address)
		}
		if !slices.Equal(local, c.local) || !slices.Equal(res.Remote, c.remote) || !slices.Equal(res.Missing, c.missing) {
			f.t.Errorf("Resolve(%q) = local %q remote %q missing %q; want %q %q %q",
				c.in, local, res.Remote, res.Missing, c.local, c.remote, c.missing)
		}
	}
}

func (f *fixture) resolveErr(in string, kind store.Kind, words ...string) {
	f.t.Helper()
	res, err := f.svc.Resolve(f.ctx, in)
	if err == nil {
		f.t.Errorf("Resolve(%q) = %+v, want a %v error", in, res, kind)
		return
	}
	wantErr(f.t, "Resolve("+in+")", err, kind, words...)
}

func TestResolvePaths(t *testing.T) {
	f := newFixture(t, Options{SubaddressSeparator: "+"})
	f.user("alice@example.org")
	f.user("bob@example.org")
	f.user("user@xn--bcher-kva.example")
	f.extra("alice@example.org", "ali@example.org")
	f.alias("sales@example.org", "alice@example.org", "bob@example.org")
	f.alias("ext@example.org", "Jane.Doe@Partner.Example", "alice@example.org")
	f.alias("team@example.org", "sales@example.org", "ali+team@example.org", "bob@example.org")
	f.alias("idn@example.org", "Ärger@Bücher.Test")
	f.alias("bob+special@example.org", "alice@example.org")

	f.check([]resolveCase{
		{in: "alice@example.org", local: []string{"alice@example.org"}},
		{in: "ALICE@Example.Org", local: []string{"alice@example.org"}},
		{in: "ali@example.org", local: []string{"alice@example.org"}},
		{in: `"alice"@example.org`, local: []string{"alice@example.org"}},
		{in: "User@BÜCHER.example", local: []string{"user@xn--bcher-kva.example"}},
		{in: "user@xn--bcher-kva.example", local: []string{"user@xn--bcher-kva.example"}},
		{in: "sales@example.org", local: []string{"alice@example.org", "bob@example.org"}},
		// Remote targets keep the local part's case; the domain is canonical.
		{in: "ext@example.org", local: []string{"alice@example.org"}, remote: []string{"Jane.Doe@partner.example"}},
		{in: "idn@example.org", remote: []string{"Ärger@xn--bcher-kva.test"}},
		// Nested aliases and a subaddressed target, deduplicated.
		{in: "team@example.org", local: []string{"alice@example.org", "bob@example.org"}},
		// Subaddress: base account, base extra address, base alias.
		{in: "bob+lists@example.org", local: []string{"bob@example.org"}},
		{in: "ali+x@example.org", local: []string{"alice@example.org"}},
		{in: "sales+q3@example.org", local: []string{"alice@example.org", "bob@example.org"}},
		{in: "bob+a+b@example.org", local: []string{"bob@example.org"}},
		// An exact alias wins over the subaddress base.
		{in: "bob+special@example.org", local: []string{"alice@example.org"}},
	})
	f.resolveErr("nobody@example.org", store.KindNotFound, "nobody@example.org")
	f.resolveErr("nobody+tag@example.org", store.KindNotFound)
	f.resolveErr("bob-tag@example.org", store.KindNotFound)
	f.resolveErr("not an address", store.KindInvalid)
	_, err := f.svc.Resolve(f.ctx, "alice@elsewhere.example")
	wantNotLocal(t, "remote domain", err)
	_, err = f.svc.Resolve(f.ctx, "alice@[192.0.2.1]")
	wantNotLocal(t, "address literal", err)
}

func TestResolveSubaddressSeparator(t *testing.T) {
	custom := newFixture(t, Options{SubaddressSeparator: "-"})
	custom.user("bob@example.org")
	custom.check([]resolveCase{
		{in: "bob-news@example.org", local: []string{"bob@example.org"}},
	})
	custom.resolveErr("bob+news@example.org", store.KindNotFound)

	off := newFixture(t, Options{})
	off.user("bob@example.org")
	off.user("bob+x@example.org")
	off.check([]resolveCase{{in: "bob+x@example.org", local: []string{"bob+x@example.org"}}})
	off.resolveErr("bob+news@example.org", store.KindNotFound)
}

func TestResolveCatchAll(t *testing.T) {
	f := newFixture(t, Options{SubaddressSeparator: "+"})
	f.user("admin@example.org")
	f.user("bob@example.org")
	f.alias("@example.org", "admin@example.org")
	f.alias("@bücher.example", "archive@remote.example")
	f.check([]resolveCase{
		{in: "anything@example.org", local: []string{"admin@example.org"}},
		{in: "Any.Thing+tag@EXAMPLE.org", local: []string{"admin@example.org"}},
		{in: "bob@example.org", local: []string{"bob@example.org"}},
		{in: "bob+tag@example.org", local: []string{"bob@example.org"}},
		{in: "x@bücher.example", remote: []string{"archive@remote.example"}},
	})
	aliases, _ := f.svc.Aliases(f.ctx)
	if got := aliases["@xn--bcher-kva.example"]; !slices.Equal(got, []string{"archive@remote.example"}) {
		t.Fatalf("catch-all stored as %q in %v", got, aliases)
	}
	if err := f.svc.DeleteAlias(f.ctx, "@Example.ORG"); err != nil {
		t.Fatal(err)
	}
	f.resolveErr("anything@example.org", store.KindNotFound)
}

func TestResolveLoops(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	// Loops cannot be created through AddAlias; a directory can still hold
	// them (written by another version, or by hand).
	f.dir.aliases["a@example.org"] = []string{"b@example.org"}
	f.dir.aliases["b@example.org"] = []string{"bob@example.org", "a@example.org"}
	f.dir.aliases["self@example.org"] = []string{"self@example.org"}
	f.dir.aliases["entry@example.org"] = []string{"bob@example.org", "a@example.org"}
	f.resolveErr("a@example.org", store.KindInvalid, "alias loop: a@example.org -> b@example.org -> a@example.org")
	f.resolveErr("self@example.org", store.KindInvalid, "alias loop: self@example.org -> self@example.org")
	f.resolveErr("entry@example.org", store.KindInvalid, "alias loop: a@example.org -> b@example.org -> a@example.org")
	// A diamond is not a loop.
	f.dir.aliases["d1@example.org"] = []string{"d2@example.org", "d3@example.org"}
	f.dir.aliases["d2@example.org"] = []string{"bob@example.org"}
	f.dir.aliases["d3@example.org"] = []string{"d2@example.org"}
	f.check([]resolveCase{{in: "d1@example.org", local: []string{"bob@example.org"}}})
}

func TestResolveLimits(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	// A chain deeper than maxAliasDepth.
	for i := range maxAliasDepth + 1 {
		f.dir.aliases[fmt.Sprintf("c%d@example.org", i)] = []string{fmt.Sprintf("c%d@example.org", i+1)}
	}
	f.dir.aliases[fmt.Sprintf("c%d@example.org", maxAliasDepth+1)] = []string{"bob@example.org"}
	f.resolveErr("c0@example.org", store.KindInvalid, "nested more than")
	f.check([]resolveCase{{in: "c2@example.org", local: []string{"bob@example.org"}}})
	// A fan-out that doubles at each of 11 levels visits 2^12-2 > 1000 targets.
	for i := range 11 {
		next := fmt.Sprintf("f%d@example.org", i+1)
		f.dir.aliases[fmt.Sprintf("f%d@example.org", i)] = []string{next, next}
	}
	f.dir.aliases["f11@example.org"] = []string{"bob@example.org"}
	f.resolveErr("f0@example.org", store.KindInvalid, "more than 1000 targets")
	f.check([]resolveCase{{in: "f3@example.org", local: []string{"bob@example.org"}}})
}

func TestResolveMissingTarget(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("bob@example.org")
	f.user("carol@example.org")
	f.alias("list@example.org", "bob@example.org", "carol@example.org")
	f.alias("solo@example.org", "carol@example.org")
	// carol's account is deleted behind the service's back.
	id, _ := f.dir.LookupAddress(f.ctx, "carol@example.org")
	f.dir.DeleteAccount(f.ctx, id)
	f.check([]resolveCase{{in: "list@example.org", local: []string{"bob@example.org"}, missing: []string{"carol@example.org"}}})
	f.resolveErr("solo@example.org", store.KindNotFound, "solo@example.org")
}

func TestAddAliasRules(t *testing.T) {
	f := newFixture(t, Options{SubaddressSeparator: "+"})
	f.user("bob@example.org")
	f.alias("a@example.org", "bob@example.org")

	wantErr(t, "account address", f.svc.AddAlias(f.ctx, "BOB@example.org", []string{"x@remote.example"}), store.KindExists, "address of an account")
	wantErr(t, "duplicate", f.svc.AddAlias(f.ctx, "A@example.org", []string{"bob@example.org"}), store.KindExists, "already an alias")
	wantNotLocal(t, "remote alias", f.svc.AddAlias(f.ctx, "a@remote.example", []string{"bob@example.org"}))
	wantNotLocal(t, "remote catch-all", f.svc.AddAlias(f.ctx, "@remote.example", []string{"bob@example.org"}))
	wantErr(t, "no targets", f.svc.AddAlias(f.ctx, "n@example.org", nil), store.KindInvalid, "at least one target")
	wantErr(t, "domain target", f.svc.AddAlias(f.ctx, "n@example.org", []string{"@remote.example"}), store.KindInvalid, "not an address")
	wantErr(t, "bad target", f.svc.AddAlias(f.ctx, "n@example.org", []string{"not an address"}), store.KindInvalid)
	wantErr(t, "literal target", f.svc.AddAlias(f.ctx, "n@example.org", []string{"x@[192.0.2.1]"}), store.KindInvalid)
	wantErr(t, "unknown local target", f.svc.AddAlias(f.ctx, "n@example.org", []string{"ghost@example.org"}), store.KindNotFound, "ghost@example.org")
	wantErr(t, "self loop", f.svc.AddAlias(f.ctx, "s@example.org", []string{"s@example.org"}), store.KindInvalid, "alias loop")
	wantErr(t, "subaddress self loop", f.svc.AddAlias(f.ctx, "s@example.org", []string{"s+x@example.org"}), store.KindInvalid, "alias loop")

	// A loop through a catch-all: b resolves through it, so a2 -> b is
	// accepted; then b -> a2 would close the loop.
	f.alias("@bücher.example", "bob@example.org")
	f.alias("a2@bücher.example", "b@bücher.example")
	wantErr(t, "two-alias loop", f.svc.AddAlias(f.ctx, "b@bücher.example", []string{"a2@bücher.example"}), store.KindInvalid,
		"alias loop: b@xn--bcher-kva.example -> a2@xn--bcher-kva.example -> b@xn--bcher-kva.example")
	wantErr(t, "catch-all loop", f.svc.AddAlias(f.ctx, "@example.org", []string{"nobody@example.org"}), store.KindInvalid, "alias loop")
	wantErr(t, "refused alias not stored", f.svc.DeleteAlias(f.ctx, "b@bücher.example"), store.KindNotFound)
	wantErr(t, "delete unknown", f.svc.DeleteAlias(f.ctx, "zz@example.org"), store.KindNotFound, "no alias")

	f.alias("dup@example.org", "bob@example.org", "BOB@example.org", " x@Remote.Example ", "x@remote.example", "X@remote.example")
	aliases, _ := f.svc.Aliases(f.ctx)
	if got := aliases["dup@example.org"]; !slices.Equal(got, []string{"bob@example.org", "x@remote.example", "X@remote.example"}) {
		t.Fatalf("stored targets %q", got)
	}
	wantErr(t, "delete alias that is a target", func() error {
		f.alias("outer@example.org", "a@example.org")
		return f.svc.DeleteAlias(f.ctx, "a@example.org")
	}(), store.KindInvalid, "outer@example.org")
}

func TestResolveLoopIsErrAliasLoop(t *testing.T) {
	f := newFixture(t, Options{})
	f.dir.aliases["x@example.org"] = []string{"y@example.org"}
	f.dir.aliases["y@example.org"] = []string{"x@example.org"}
	_, err := f.svc.Resolve(f.ctx, "x@example.org")
	if !errors.Is(err, ErrAliasLoop) {
		t.Fatalf("loop error %v does not wrap ErrAliasLoop", err)
	}
}
