package storetest

import (
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func testDirectory(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	wantKind(t, "duplicate domain", s.AddDomain(ctx, "example.org"), store.KindExists)
	if err := s.AddDomain(ctx, "xn--bcher-kva.example"); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Domains(ctx)
	if err != nil || !slices.Equal(ds, []string{"example.org", "xn--bcher-kva.example"}) {
		t.Fatalf("Domains = %v, %v", ds, err)
	}
	if ok, err := s.HasDomain(ctx, "example.org"); !ok || err != nil {
		t.Fatalf("HasDomain = %v, %v", ok, err)
	}
	if ok, _ := s.HasDomain(ctx, "other.example"); ok {
		t.Fatal("HasDomain(other) = true")
	}
	_, err = s.CreateAccount(ctx, "x@nowhere.example", "h")
	wantKind(t, "account in unknown domain", err, store.KindNotFound)

	a := e.account("alice")
	_, err = s.CreateAccount(ctx, "alice@example.org", "h")
	wantKind(t, "duplicate account", err, store.KindExists)
	if err := s.AddAddress(ctx, a.ID, "ally@example.org"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "duplicate address", s.AddAddress(ctx, a.ID, "ally@example.org"), store.KindExists)
	_, err = s.CreateAccount(ctx, "ally@example.org", "h")
	wantKind(t, "account on extra address", err, store.KindExists)
	addrs, err := s.Addresses(ctx, a.ID)
	if err != nil || !slices.Equal(addrs, []string{"alice@example.org", "ally@example.org"}) {
		t.Fatalf("Addresses = %v, %v", addrs, err)
	}
	for _, addr := range addrs {
		if id, err := s.LookupAddress(ctx, addr); err != nil || id != a.ID {
			t.Fatalf("LookupAddress(%s) = %v, %v", addr, id, err)
		}
	}
	_, err = s.LookupAddress(ctx, "nobody@example.org")
	wantKind(t, "lookup unknown", err, store.KindNotFound)
	wantKind(t, "delete primary address", s.DeleteAddress(ctx, "alice@example.org"), store.KindInvalid)
	if err := s.DeleteAddress(ctx, "ally@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasswordHash(ctx, a.ID, "newhash"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, a.ID)
	if err != nil || got.PasswordHash != "newhash" || got.Address != "alice@example.org" {
		t.Fatalf("Account = %+v, %v", got, err)
	}
	wantKind(t, "delete domain in use", s.DeleteDomain(ctx, "example.org"), store.KindInvalid)
	if err := s.DeleteDomain(ctx, "xn--bcher-kva.example"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete missing domain", s.DeleteDomain(ctx, "xn--bcher-kva.example"), store.KindNotFound)
	all, err := s.Accounts(ctx)
	if err != nil || len(all) != 1 || all[0].ID != a.ID {
		t.Fatalf("Accounts = %+v, %v", all, err)
	}
}

func testAliases(t *testing.T, b Backend) {
	e := newEnv(t, b)
	ctx, s := e.ctx, e.s
	e.account("bob")
	if err := s.SetAlias(ctx, "team@example.org", []string{"bob@example.org", "carol@remote.example"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAlias(ctx, "@example.org", []string{"bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "alias on account address", s.SetAlias(ctx, "bob@example.org", []string{"x@example.org"}), store.KindExists)
	wantKind(t, "alias in unknown domain", s.SetAlias(ctx, "a@nowhere.example", []string{"bob@example.org"}), store.KindNotFound)
	_, err := s.CreateAccount(ctx, "team@example.org", "h")
	wantKind(t, "account on alias address", err, store.KindExists)
	got, err := s.Alias(ctx, "team@example.org")
	if err != nil || !slices.Equal(got, []string{"bob@example.org", "carol@remote.example"}) {
		t.Fatalf("Alias = %v, %v", got, err)
	}
	if err := s.SetAlias(ctx, "team@example.org", []string{"bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Aliases(ctx)
	if err != nil || len(all) != 2 || len(all["team@example.org"]) != 1 {
		t.Fatalf("Aliases = %v, %v", all, err)
	}
	if err := s.DeleteAlias(ctx, "team@example.org"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Alias(ctx, "team@example.org")
	wantKind(t, "deleted alias", err, store.KindNotFound)
	wantKind(t, "delete missing alias", s.DeleteAlias(ctx, "team@example.org"), store.KindNotFound)
}

func testDefaultMailboxes(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	mbs, err := e.s.Mailboxes(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.SpecialUse{"INBOX": "", "Drafts": store.UseDrafts, "Sent": store.UseSent,
		"Trash": store.UseTrash, "Junk": store.UseJunk, "Archive": store.UseArchive}
	if len(mbs) != len(want) {
		t.Fatalf("got %d mailboxes, want %d", len(mbs), len(want))
	}
	seen := map[uint32]bool{}
	for _, mb := range mbs {
		use, ok := want[mb.Name]
		if !ok || use != mb.SpecialUse || !mb.Subscribed || mb.UIDNext != 1 || mb.UIDValidity == 0 || mb.Account != a.ID {
			t.Errorf("mailbox %+v unexpected", mb)
		}
		if seen[mb.UIDValidity] {
			t.Errorf("UIDVALIDITY %d reused", mb.UIDValidity)
		}
		seen[mb.UIDValidity] = true
	}
	if mb := e.mailbox(a.ID, "inbox"); mb.Name != "INBOX" {
		t.Errorf("inbox lookup is not case-insensitive: %q", mb.Name)
	}
}
