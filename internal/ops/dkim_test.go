package ops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeDomains is a LocalDomains: the domains it holds are local; err, when
// set, is its answer for every domain.
type fakeDomains struct {
	local map[string]bool
	err   error
}

func (f fakeDomains) IsLocalDomain(_ context.Context, domain string) (bool, error) {
	return f.local[domain], f.err
}

// Reaches: no address takes mail.
func (f fakeDomains) Reaches(context.Context, string) (bool, error) { return false, f.err }

func TestDKIMGenerate(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	d := NewDKIM(st, fakeDomains{local: map[string]bool{"example.net": true}}, nil)
	res, err := d.Generate(ctx, GenerateRequest{Domain: "Example.ORG"})
	if err != nil {
		t.Fatal(err)
	}
	k := res.Key
	if want := "rsa-" + time.Now().UTC().Format("200601"); k.Selector != want || k.Domain != "example.org" || k.Algorithm != dkim.RSA {
		t.Errorf("key %s %s %s, want %s example.org rsa", k.Selector, k.Domain, k.Algorithm, want)
	}
	if res.Local || res.LocalErr != nil || res.WantRSA || len(res.StillSigning) != 0 {
		t.Errorf("result %+v: want a non-local domain and no notes", res)
	}
	if k.StoreKey != dkim.KeyName("example.org", k.Selector) {
		t.Errorf("key stored as %q, want %q", k.StoreKey, dkim.KeyName("example.org", k.Selector))
	}
	ring, err := dkim.Load(ctx, st)
	must(t, err)
	if keys := ring.Keys("example.org"); len(keys) != 1 || keys[0].TXT() != k.TXT || !strings.HasPrefix(k.TXT, "v=DKIM1; k=rsa; p=") {
		t.Errorf("the key file's record differs from the result's %q", k.TXT)
	}
	if want := k.Name + ". IN TXT \""; k.Name != k.Selector+"._domainkey.example.org" || !strings.HasPrefix(k.Zone, want) {
		t.Errorf("name %q, zone %q", k.Name, k.Zone)
	}

	// Ed25519 beside an RSA key: no note; without one: WantRSA.
	res, err = d.Generate(ctx, GenerateRequest{Domain: "example.org", Selector: "Ed1", Algorithm: dkim.Ed25519})
	if err != nil || res.Key.Selector != "ed1" || res.WantRSA || !strings.HasPrefix(res.Key.TXT, "v=DKIM1; k=ed25519; p=") {
		t.Errorf("ed25519 beside RSA: %+v, %v", res, err)
	}
	res, err = d.Generate(ctx, GenerateRequest{Domain: "example.net", Algorithm: dkim.Ed25519})
	if err != nil || !res.WantRSA || !res.Local {
		t.Errorf("ed25519 alone, local domain: %+v, %v; want WantRSA and Local", res, err)
	}

	// Not knowing whether the domain is local does not stop the key.
	broken := NewDKIM(st, fakeDomains{err: errors.New("store locked")}, nil)
	if res, err := broken.Generate(ctx, GenerateRequest{Domain: "example.com"}); err != nil || res.LocalErr == nil {
		t.Errorf("with the store unavailable: %+v, %v; want a key and LocalErr", res, err)
	}
}

// A second key of an algorithm is a rotation: the old key keeps signing
// for dkim.ActivationDelay after the new key's creation.
func TestDKIMGenerateRotation(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	d := NewDKIM(testkit.NewStore(t), fakeDomains{}, func() time.Time { return now })
	_, err := d.Generate(ctx, GenerateRequest{Domain: "example.org", Selector: "old", Algorithm: dkim.Ed25519})
	must(t, err)
	now = now.Add(time.Hour)
	res, err := d.Generate(ctx, GenerateRequest{Domain: "example.org", Selector: "new", Algorithm: dkim.Ed25519})
	must(t, err)
	if len(res.StillSigning) != 1 || res.StillSigning[0].Selector != "old" || !res.Takeover.Equal(now.Add(dkim.ActivationDelay)) {
		t.Errorf("rotation: still signing %+v until %v; want old until %v", res.StillSigning, res.Takeover, now.Add(dkim.ActivationDelay))
	}
}

func TestDKIMGenerateErrors(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	d := NewDKIM(st, fakeDomains{}, nil)
	for _, tc := range []struct {
		req   GenerateRequest
		field string
	}{
		{GenerateRequest{Domain: "exa mple..org"}, "domain"},
		{GenerateRequest{Domain: "a.example", Algorithm: "dsa"}, "algorithm"},
		{GenerateRequest{Domain: "a.example", Selector: "no_underscores"}, "selector"},
		{GenerateRequest{Domain: "exa mple..org", Algorithm: "dsa", Selector: "no_underscores"}, "algorithm"},
	} {
		_, err := d.Generate(ctx, tc.req)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalid || e.Field != tc.field {
			t.Errorf("%+v: %v, want KindInvalid of %s", tc.req, err, tc.field)
		}
	}
	if keys, err := st.KVList(ctx, "dkim/"); err != nil || len(keys) != 0 {
		t.Errorf("invalid requests stored keys: %v, %v", keys, err)
	}

	_, err := d.Generate(ctx, GenerateRequest{Domain: "example.org", Selector: "s1"})
	must(t, err)
	before, _ := d.Export(ctx, "example.org", "s1")
	_, err = d.Generate(ctx, GenerateRequest{Domain: "example.org", Selector: "S1"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindExists || e.Field != "selector" || e.Msg != "example.org already has a key with the selector s1" {
		t.Errorf("taken selector: %#v", err)
	}
	if after, _ := d.Export(ctx, "example.org", "s1"); len(before) == 0 || string(after) != string(before) {
		t.Error("the existing key was replaced")
	}
}

// fixtureKeys is a new store with the fixture keys of example.org (an RSA
// key of 2026-01 and an Ed25519 key of 2026-03), imported from copies of
// their files.
func fixtureKeys(t *testing.T) *sqlite.Store {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "dnsplan", "testdata", "dkim", "example.org")
	must(t, os.MkdirAll(filepath.Join(dir, "example.org"), 0o700))
	for _, name := range []string{"rsa-202601.pem", "ed-202603.pem"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, "example.org", name), data, 0o600))
	}
	st := testkit.NewStore(t)
	res, err := NewDKIM(st, fakeDomains{}, nil).Import(context.Background(), dir)
	if err != nil || len(res.Keys) != 2 || len(res.Skipped) != 0 {
		t.Fatalf("importing the fixture keys: %+v, %v", res, err)
	}
	return st
}

func TestDKIMListRoles(t *testing.T) {
	ctx := context.Background()
	st := fixtureKeys(t)
	now := time.Now()
	for sel, created := range map[string]time.Time{"ed-new": now.Add(-48 * time.Hour), "ed-newer": now} {
		if _, err := dkim.Generate(ctx, st, "example.org", sel, dkim.Ed25519, created); err != nil {
			t.Fatal(err)
		}
	}
	must(t, st.KVCreate(ctx, dkim.KeyName("example.org", "broken"), []byte("no key")))
	keys, err := NewDKIM(st, fakeDomains{}, func() time.Time { return now }).List(ctx, "example.org")
	must(t, err)
	if len(keys.Skipped) != 1 || !strings.Contains(keys.Skipped[0].Error(), "broken.pem") {
		t.Errorf("skipped %v, want broken.pem", keys.Skipped)
	}
	got := map[string]KeyState{}
	var order []string
	for _, k := range keys.Keys {
		got[k.Selector] = k
		order = append(order, k.Selector)
	}
	if strings.Join(order, " ") != "ed-newer ed-new ed-202603 rsa-202601" {
		t.Errorf("order %v, want newest first", order)
	}
	if k := got["ed-newer"]; k.Role != dnsplan.KeyNext || k.Replaces != "ed-new" || !k.From.Equal(k.Created.Add(dkim.ActivationDelay)) {
		t.Errorf("ed-newer: %+v, want next in place of ed-new", k)
	}
	for sel, role := range map[string]dnsplan.KeyRole{"ed-new": dnsplan.KeySigns, "ed-202603": dnsplan.KeyReplaced, "rsa-202601": dnsplan.KeySigns} {
		if got[sel].Role != role {
			t.Errorf("%s: role %d, want %d", sel, got[sel].Role, role)
		}
	}
}
