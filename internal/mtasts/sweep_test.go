package mtasts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Sweep deletes the cached policies past their max_age and the damaged
// ones, and keeps the others, which are then served without a fetch.
func TestSweepExpiredPolicies(t *testing.T) {
	ctx := context.Background()
	e := newSTSEnv(t, "v=STSv1; id=one", enforceText) // max_age 24h
	e.lookup(ModeEnforce, "one", "", 1)
	short, _ := json.Marshal(cached{Text: testingText, ID: "s", Fetched: e.clock.Now()}) // max_age 1h
	must(t, e.kv.KVStore(ctx, key("short.example"), short))
	must(t, e.kv.KVStore(ctx, key("damaged.example"), []byte("{not json")))
	must(t, e.kv.KVStore(ctx, key("bad-policy.example"), []byte(`{"text":"garbage","id":"x"}`)))
	must(t, e.kv.KVStore(ctx, "mtasts-other/keep", []byte("x"))) // not the cache's

	e.clock.Add(2 * time.Hour)
	n, err := e.r.Sweep(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Sweep = %d, %v; want 3 deleted", n, err)
	}
	for _, k := range []string{key("short.example"), key("damaged.example"), key("bad-policy.example")} {
		if ok, _ := e.kv.KVExists(ctx, k); ok {
			t.Errorf("%s survived the sweep", k)
		}
	}
	for _, k := range []string{key("example.org"), "mtasts-other/keep"} {
		if ok, _ := e.kv.KVExists(ctx, k); !ok {
			t.Errorf("%s was swept", k)
		}
	}
	e.lookup(ModeEnforce, "one", "", 0) // still cached

	e.clock.Add(23 * time.Hour) // past the 24h max_age
	if n, err := e.r.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("second Sweep = %d, %v; want 1 deleted", n, err)
	}
}

// Lookup starts a sweep once a day, in the background.
func TestLookupSweepsDaily(t *testing.T) {
	ctx := context.Background()
	e := newSTSEnv(t, "v=STSv1; id=one", enforceText)
	must(t, e.kv.KVStore(ctx, key("damaged.example"), []byte("{")))
	e.lookup(ModeEnforce, "one", "", 1)
	if ok, _ := e.kv.KVExists(ctx, key("damaged.example")); !ok {
		t.Fatal("swept before a day had passed")
	}
	e.clock.Add(sweepEvery + time.Second)
	e.lookup(ModeEnforce, "one", "", 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, _ := e.kv.KVExists(ctx, key("damaged.example"))
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daily sweep did not delete the damaged entry")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("refused")
}

// The remembered failures stay within maxFailed however many domains
// fail within RetryFailed.
func TestFailuresBounded(t *testing.T) {
	e := newSTSEnv(t, "", enforceText)
	r := NewResolver(Config{Fetch: Fetcher{Client: &http.Client{Transport: failingTransport{}}}, Cache: e.kv, Now: e.clock.Now})
	for i := range maxFailed + 50 {
		if _, err := r.fetch(context.Background(), fmt.Sprintf("d%d.example", i), "id", e.clock.Now()); err == nil {
			t.Fatal("fetch through a failing transport succeeded")
		}
	}
	if n := len(r.failed); n > maxFailed {
		t.Errorf("%d failures remembered, want at most %d", n, maxFailed)
	}
	if _, ok := r.failed[fmt.Sprintf("d%d.example", maxFailed+49)]; !ok {
		t.Error("the latest failure was not remembered")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
