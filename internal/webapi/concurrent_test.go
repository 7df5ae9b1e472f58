package webapi

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/authguard"
)

// The API and the CLI's operations change the same store at the same
// time: every change of both is there, none is lost or refused.
func TestConcurrentWithCLI(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("api%d@example.org", i)
			if r := f.do("POST", "/api/v1/accounts", f.rw, map[string]string{"address": addr, "password": "pw"}); r.status != 201 {
				errs <- fmt.Errorf("API add %s: %d %s", addr, r.status, r.raw)
			}
			alias := map[string]any{"address": fmt.Sprintf("team-api%d@example.org", i), "targets": []string{addr}}
			if r := f.do("POST", "/api/v1/aliases", f.rw, alias); r.status != 201 {
				errs <- fmt.Errorf("API alias %d: %d %s", i, r.status, r.raw)
			}
		}()
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("cli%d@example.org", i)
			if _, err := f.dir.AddUser(ctx, addr, "pw"); err != nil {
				errs <- fmt.Errorf("CLI add %s: %v", addr, err)
				return
			}
			if err := f.dir.AddAlias(ctx, fmt.Sprintf("team-cli%d@example.org", i), []string{addr}); err != nil {
				errs <- fmt.Errorf("CLI alias %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r := f.want("list accounts", f.do("GET", "/api/v1/accounts", f.ro, nil), 200)
	if accts, _ := r.body["accounts"].([]any); len(accts) != 2*n+1 {
		t.Errorf("%d accounts, want %d: %s", len(accts), 2*n+1, r.raw)
	}
	r = f.want("list aliases", f.do("GET", "/api/v1/aliases", f.ro, nil), 200)
	if as, _ := r.body["aliases"].([]any); len(as) != 2*n {
		t.Errorf("%d aliases, want %d", len(as), 2*n)
	}
}
