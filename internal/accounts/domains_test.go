package accounts

import (
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func TestDomains(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.svc.AddDomain(f.ctx, "Sub.Example.ORG."); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Domains(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.org", "sub.example.org", "xn--bcher-kva.example"}
	if !slices.Equal(got, want) {
		t.Fatalf("Domains = %q, want %q", got, want)
	}
	wantErr(t, "duplicate", f.svc.AddDomain(f.ctx, "EXAMPLE.org"), store.KindExists, `"example.org" already exists`)
	wantErr(t, "duplicate IDN", f.svc.AddDomain(f.ctx, "BÜCHER.example"), store.KindExists)
	wantErr(t, "invalid", f.svc.AddDomain(f.ctx, "bad_domain.example"), store.KindInvalid)
	wantErr(t, "literal", f.svc.AddDomain(f.ctx, "[192.0.2.1]"), store.KindInvalid)
	wantErr(t, "empty", f.svc.AddDomain(f.ctx, ""), store.KindInvalid)
}

func TestIsLocalDomain(t *testing.T) {
	f := newFixture(t, Options{})
	for d, want := range map[string]bool{
		"example.org": true, "EXAMPLE.ORG.": true, "BÜCHER.example": true,
		"xn--bcher-kva.example": true, "other.example": false,
	} {
		got, err := f.svc.IsLocalDomain(f.ctx, d)
		if err != nil || got != want {
			t.Errorf("IsLocalDomain(%q) = %v, %v; want %v", d, got, err, want)
		}
	}
	_, err := f.svc.IsLocalDomain(f.ctx, "a..b")
	wantErr(t, "invalid", err, store.KindInvalid)
}

func TestDeleteDomain(t *testing.T) {
	f := newFixture(t, Options{})
	wantNotLocal(t, "unknown", f.svc.DeleteDomain(f.ctx, "nope.example"))

	f.user("user@example.org")
	wantErr(t, "account", f.svc.DeleteDomain(f.ctx, "example.org"), store.KindInvalid, "user@example.org")
	if err := f.svc.DeleteDomain(f.ctx, "bücher.example"); err != nil {
		t.Fatalf("unused domain: %v", err)
	}

	f.svc.AddDomain(f.ctx, "second.example")
	f.extra("user@example.org", "extra@second.example")
	wantErr(t, "extra address", f.svc.DeleteDomain(f.ctx, "second.example"), store.KindInvalid, "extra@second.example")

	f.svc.AddDomain(f.ctx, "third.example")
	f.alias("@third.example", "user@example.org")
	wantErr(t, "catch-all", f.svc.DeleteDomain(f.ctx, "third.example"), store.KindInvalid, "@third.example")

	// A remote target whose domain later became local.
	f.alias("fwd@example.org", "x@fourth.example")
	f.svc.AddDomain(f.ctx, "fourth.example")
	wantErr(t, "alias target", f.svc.DeleteDomain(f.ctx, "fourth.example"), store.KindInvalid, "fwd@example.org")

	got, _ := f.svc.Domains(f.ctx)
	want := []string{"example.org", "fourth.example", "second.example", "third.example"}
	if !slices.Equal(got, want) {
		t.Fatalf("Domains = %q, want %q", got, want)
	}
}
