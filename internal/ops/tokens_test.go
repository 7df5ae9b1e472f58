package ops

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	tk := NewTokens(st, nil)
	ci, err := tk.Create(ctx, "ci", false)
	if err != nil || !strings.HasPrefix(ci.Secret, "ptk.ci.") || len(ci.Secret) != len("ptk.ci.")+26 {
		t.Fatalf("Create = %+v, %v", ci, err)
	}
	ro, err := tk.Create(ctx, "monitor", true)
	must(t, err)
	// Only the hash is stored.
	infos, err := st.KVList(ctx, "")
	must(t, err)
	for _, info := range infos {
		v, err := st.KVLoad(ctx, info.Key)
		must(t, err)
		if strings.Contains(string(v), ci.Secret[7:]) || strings.Contains(string(v), ro.Secret[12:]) {
			t.Errorf("%s holds a token: %s", info.Key, v)
		}
	}
	if got, err := tk.Verify(ctx, ci.Secret); err != nil || got.Name != "ci" || got.ReadOnly {
		t.Errorf("Verify(ci) = %+v, %v", got, err)
	}
	if got, err := tk.Verify(ctx, ro.Secret); err != nil || got.Name != "monitor" || !got.ReadOnly {
		t.Errorf("Verify(monitor) = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "ptk.", "ptk.ci", ci.Secret + "x", strings.Replace(ci.Secret, "ci", "monitor", 1),
		"ptk.../x." + ci.Secret[7:], strings.ToLower(ci.Secret)} {
		if _, err := tk.Verify(ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Verify(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	list, err := tk.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ci" || list[1].Name != "monitor" || !list[1].ReadOnly || list[0].Created.IsZero() {
		t.Errorf("List = %+v, %v", list, err)
	}
	_, err = tk.Create(ctx, "ci", true)
	wantKind(t, "duplicate name", err, KindExists)
	_, err = tk.Create(ctx, "a.b", false)
	wantKind(t, "dot in the name", err, KindInvalid)
	if e := new(Error); errors.As(err, &e) && e.Field != "name" {
		t.Errorf("field %q, want name", e.Field)
	}
	must(t, tk.Revoke(ctx, "ci"))
	if _, err := tk.Verify(ctx, ci.Secret); !errors.Is(err, ErrBadToken) {
		t.Errorf("Verify of a revoked token = %v", err)
	}
	wantKind(t, "revoke twice", tk.Revoke(ctx, "ci"), KindNotFound)
	wantKind(t, "revoke a bad name", tk.Revoke(ctx, "../x"), KindNotFound)
}

func TestAppPasswordOps(t *testing.T) {
	ctx := context.Background()
	d, _ := newDirectory(t)
	addDomain(t, d, "example.org")
	_, err := d.AddUser(ctx, "bob@example.org", "pw")
	must(t, err)
	secret, err := d.AddAppPassword(ctx, "bob@example.org", "phone")
	if err != nil || len(secret) != 26 {
		t.Fatalf("AddAppPassword = %q, %v", secret, err)
	}
	_, err = d.AddAppPassword(ctx, "bob@example.org", "bad name")
	wantKind(t, "bad name", err, KindInvalid)
	if e := new(Error); errors.As(err, &e) && e.Field != "name" {
		t.Errorf("field %q, want name", e.Field)
	}
	_, err = d.AddAppPassword(ctx, "bob@example.org", "phone")
	wantKind(t, "duplicate", err, KindExists)
	list, err := d.AppPasswords(ctx, "bob@example.org")
	if err != nil || len(list) != 1 || list[0].Name != "phone" {
		t.Errorf("AppPasswords = %+v, %v", list, err)
	}
	must(t, d.SetAdmin(ctx, "bob@example.org", true))
	must(t, d.SetAppPasswordsOnly(ctx, "bob@example.org", true))
	info, err := d.Account(ctx, "BOB@example.org")
	if err != nil || info.Address != "bob@example.org" || !info.Admin || !info.AppPasswordsOnly {
		t.Errorf("Account = %+v, %v", info, err)
	}
	must(t, d.SetAdmin(ctx, "bob@example.org", false))
	if info, err := d.Account(ctx, "bob@example.org"); err != nil || info.Admin {
		t.Errorf("Account after SetAdmin off = %+v, %v", info, err)
	}
	must(t, d.RevokeAppPassword(ctx, "bob@example.org", "phone"))
	wantKind(t, "revoke twice", d.RevokeAppPassword(ctx, "bob@example.org", "phone"), KindNotFound)
	_, err = d.Account(ctx, "nobody@example.org")
	wantKind(t, "unknown account", err, KindNotFound)
	_, err = d.Account(ctx, "not an address")
	wantKind(t, "bad address", err, KindInvalid)
}
