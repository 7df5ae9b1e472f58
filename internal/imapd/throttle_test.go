package imapd

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/store"
)

// countingAuth counts password checks.
type countingAuth struct {
	Authenticator
	n atomic.Int32
}

func (c *countingAuth) Authenticate(ctx context.Context, user, pass string) (store.Account, error) {
	c.n.Add(1)
	time.Sleep(20 * time.Millisecond) // a check takes time: attempts overlap
	return c.Authenticator.Authenticate(ctx, user, pass)
}

// Issue 11, item 5: respellings of one address, and the account's other
// addresses, are throttled as the account (the guard names it through
// accounts.Service.AccountKey, as petrel serve wires it), and log in.
func TestLoginThrottledUnderTheAccount(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	e := newEnv(t, func(c *Config, d *Deps) {
		svc := d.Auth.(*accounts.Service)
		d.Guard = authguard.New(authguard.Config{AccountKey: func(u string) string {
			k := svc.AccountKey(context.Background(), u)
			mu.Lock()
			keys = append(keys, k)
			mu.Unlock()
			return k
		}})
	})
	if err := e.auth.AddAddress(context.Background(), testUser, "al@example.org"); err != nil {
		t.Fatal(err)
	}
	spellings := []string{`"alice"@example.org`, "ALICE@Example.ORG", "alice@ｅｘａｍｐｌｅ.org", "Al@example.org"}
	for _, u := range spellings {
		r := e.dial()
		q := strings.ReplaceAll(u, `"`, `\"`)
		if _, st := r.Cmd(`a LOGIN "` + q + `" wrong`); !strings.HasPrefix(st, "a NO [AUTHENTICATIONFAILED]") {
			t.Fatalf("%s, wrong password: %q", u, st)
		}
		if _, st := r.Cmd(`b LOGIN "` + q + `" "` + testPass + `"`); !strings.HasPrefix(st, "b OK") {
			t.Fatalf("%s, right password: %q", u, st)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2*len(spellings) {
		t.Fatalf("%d attempts named, want %d", len(keys), 2*len(spellings))
	}
	for _, k := range keys {
		if k != testUser {
			t.Fatalf("throttled under %q, want %q (keys %q)", k, testUser, keys)
		}
	}
}

// Issue 11, item 4: parallel connections from one address get no more
// password checks than the client block allows (attempts count before the
// password is checked).
func TestParallelLoginsCountedBeforeTheCheck(t *testing.T) {
	auth := &countingAuth{}
	e := newEnv(t, func(c *Config, d *Deps) {
		auth.Authenticator = d.Auth
		d.Auth = auth
		d.Guard = authguard.New(authguard.Config{IPBlock: 15, IPFree: 100, AccountFree: 100})
	})
	var wg sync.WaitGroup
	var failed, refused atomic.Int32
	conns := make([]*raw, 40)
	for i := range conns {
		conns[i] = e.dial()
	}
	start := make(chan struct{})
	for _, r := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r.Send("a LOGIN " + testUser + " wrong\r\n")
			l := r.Line()
			switch {
			case strings.HasPrefix(l, "a NO [AUTHENTICATIONFAILED]"):
				failed.Add(1)
			case strings.HasPrefix(l, "a NO [UNAVAILABLE]"):
				refused.Add(1)
			default:
				t.Errorf("reply %q", l)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := auth.n.Load(); n > 15 || failed.Load() != n || failed.Load()+refused.Load() != 40 {
		t.Fatalf("40 parallel logins: %d password checks, %d failed, %d refused; want at most 15 checks", n, failed.Load(), refused.Load())
	}
}

// Refused logins count towards the session's failures like wrong
// passwords: a connection cannot loop on them (each one costs the guard a
// directory lookup).
func TestRefusedLoginsEndTheSession(t *testing.T) {
	e := newEnv(t, func(c *Config, d *Deps) {
		d.Guard = authguard.New(authguard.Config{IPBlock: 1, IPFree: 100, AccountFree: 100})
	})
	r := e.dial()
	if _, st := r.Cmd("a LOGIN " + testUser + " wrong"); !strings.HasPrefix(st, "a NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("wrong password: %q", st)
	}
	for _, tag := range []string{"b", "c"} {
		if _, st := r.Cmd(tag + " LOGIN " + testUser + ` "` + testPass + `"`); !strings.HasPrefix(st, tag+" NO [UNAVAILABLE]") {
			t.Fatalf("blocked login: %q", st)
		}
	}
	r.Closed() // the session ends after three refused logins
}
