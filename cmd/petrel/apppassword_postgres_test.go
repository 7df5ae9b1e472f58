package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/ops"
)

// App passwords, flags and API tokens on PostgreSQL: made with the CLI,
// they authenticate; revoked or with the account deleted, they do not.
func TestAppPasswordsAndTokensPostgres(t *testing.T) {
	e := newEnv(t, fmt.Sprintf("[storage]\ndriver = \"postgres\"\ndsn = %q\n", postgresDatabase(t)))
	e.ok("", "domain", "add", "example.org")
	e.ok("main-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	secret := strings.TrimSpace(e.ok("", "user", "app-password", "add", "bob@example.org", "phone"))
	e.ok("", "user", "app-password", "only", "bob@example.org", "on")
	e.ok("", "user", "admin", "bob@example.org", "on")
	token := strings.TrimSpace(e.ok("", "token", "create", "--read-only", "monitor"))

	ctx := context.Background()
	_, st := e.openConfiguredStore()
	svc := accounts.New(st, accounts.Options{AuthCacheTTL: -1})
	if _, err := svc.Authenticate(ctx, "bob@example.org", secret); err != nil {
		t.Errorf("app password: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "bob@example.org", "main-pw"); err == nil {
		t.Errorf("main password accepted with app passwords only")
	}
	if on, err := svc.HasFlag(ctx, "bob@example.org", accounts.FlagAdmin); err != nil || !on {
		t.Errorf("admin flag: %v, %v", on, err)
	}
	if tok, err := ops.NewTokens(st, nil).Verify(ctx, token); err != nil || tok.Name != "monitor" || !tok.ReadOnly {
		t.Errorf("token: %+v, %v", tok, err)
	}
	e.ok("", "user", "del", "bob@example.org")
	e.ok("main-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	if _, err := svc.Authenticate(ctx, "bob@example.org", secret); err == nil {
		t.Errorf("the deleted account's app password works on its successor")
	}
	if _, err := svc.Authenticate(ctx, "bob@example.org", "main-pw"); err != nil {
		t.Errorf("the new account's password: %v", err)
	}
}
