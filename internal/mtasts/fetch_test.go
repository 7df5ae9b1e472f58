package mtasts

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFetch(t *testing.T) {
	ca := newCA(t)
	s := startPolicyServer(t, ca, policyText(enforceText))
	f := &Fetcher{Client: s.client(ca.pool), Timeout: 500 * time.Millisecond}
	ctx := context.Background()
	p, err := f.Fetch(ctx, "example.org")
	if err != nil || p.Mode != ModeEnforce || len(p.MX) != 2 || p.MaxAge != 24*time.Hour {
		t.Fatalf("Fetch = %+v, %v", p, err)
	}
	// text/plain with parameters, and a policy of exactly the limit.
	exact := enforceText + "x-pad: " + strings.Repeat("a", MaxPolicySize-len(enforceText)-8) + "\n"
	s.serve(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(exact))
	})
	if p, err := f.Fetch(ctx, "example.org"); err != nil || p.Mode != ModeEnforce || len(exact) != MaxPolicySize {
		t.Errorf("a %d-octet policy with charset: %+v, %v", len(exact), p, err)
	}
	for _, fl := range fetchFailures(t, s) {
		t.Run(fl.name, func(t *testing.T) {
			defer fl.use(s, ca, policyText(enforceText))()
			f.Client.CloseIdleConnections() // a new handshake, with the new certificate
			before := s.requests.Load()
			start := time.Now()
			p, err := f.Fetch(ctx, "example.org")
			if err == nil || ResultType(err) != fl.result {
				t.Fatalf("Fetch = %+v, %v; want an error of type %s", p, err, fl.result)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			if n := s.requests.Load() - before; n > 1 {
				t.Errorf("%d requests, want at most 1 (no redirect followed)", n)
			}
		})
	}
}

func TestResultType(t *testing.T) {
	if ResultType(nil) != "" || ResultType(context.Canceled) != "" {
		t.Error("ResultType of a non-policy error is not empty")
	}
}
