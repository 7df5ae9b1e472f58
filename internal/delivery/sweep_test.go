package delivery

import (
	"strconv"
	"testing"
	"time"
)

// The sweep removes the expired vacation and duplicate entries (and
// unreadable ones), keeps the live ones and every other key, at most Max
// per run; Maybe runs it in the background once per Every.
func TestSweepExpired(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	unix := func(t time.Time) []byte { return []byte(strconv.FormatInt(t.Unix(), 10)) }
	rfc := func(t time.Time) []byte { return []byte(t.UTC().Format(time.RFC3339)) }
	entries := map[string][]byte{
		"vacation/alice%40example.org/old":        unix(past),
		"vacation/alice%40example.org/live":       unix(future),
		"sieve-duplicate/alice%40example.org/old": rfc(past),
		"sieve-duplicate/alice%40example.org/new": rfc(future),
		"sieve-duplicate/alice%40example.org/bad": []byte("garbage"),
		"greylist/p/old":                          unix(past),
		"sieve-failure/alice%40example.org/h":     rfc(past),
	}
	for k, v := range entries {
		f.must(f.st.KVStore(f.ctx, k, v))
	}
	clock := now
	s := &Sweeper{KV: f.st, Max: 2, Every: time.Hour, Now: func() time.Time { return clock }}
	if n, err := s.Sweep(f.ctx); err != nil || n != 2 {
		t.Fatalf("first run: %d, %v; want 2 (Max)", n, err)
	}
	if n, err := s.Sweep(f.ctx); err != nil || n != 1 {
		t.Fatalf("second run: %d, %v; want the third expired one", n, err)
	}
	for k := range entries {
		ok, err := f.st.KVExists(f.ctx, k)
		f.must(err)
		want := k == "vacation/alice%40example.org/live" || k == "sieve-duplicate/alice%40example.org/new" ||
			k == "greylist/p/old" || k == "sieve-failure/alice%40example.org/h"
		if ok != want {
			t.Errorf("%s: present %v, want %v", k, ok, want)
		}
	}

	f.must(f.st.KVStore(f.ctx, "vacation/bob%40example.org/old", unix(past)))
	s.Maybe() // the first run is due one Every later
	clock = clock.Add(2 * time.Hour)
	s.Maybe()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := f.st.KVExists(f.ctx, "vacation/bob%40example.org/old")
		f.must(err)
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Maybe did not sweep once due")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
