package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testKV checks the key/value storage: create without replacing, store
// replacing, load, stat, exists, prefix listing, deletion, invalid keys,
// durability across a restart, and that a second instance on the same
// store (another node) sees the same values.
func testKV(t *testing.T, b Backend) {
	e := newEnv(t, b)
	kv := e.s
	put := func(key, value string) {
		t.Helper()
		if err := kv.KVStore(e.ctx, key, []byte(value)); err != nil {
			t.Fatalf("KVStore(%s): %v", key, err)
		}
	}
	if _, err := kv.KVLoad(e.ctx, "dkim/a.example/s1.pem"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("KVLoad of a missing key: %v, want not found", err)
	}
	before := time.Now().Add(-time.Second)
	if err := kv.KVCreate(e.ctx, "dkim/a.example/s1.pem", []byte("one")); err != nil {
		t.Fatalf("KVCreate: %v", err)
	}
	if err := kv.KVCreate(e.ctx, "dkim/a.example/s1.pem", []byte("two")); !store.IsKind(err, store.KindExists) {
		t.Fatalf("KVCreate over an existing key: %v, want exists", err)
	}
	if v, err := kv.KVLoad(e.ctx, "dkim/a.example/s1.pem"); err != nil || string(v) != "one" {
		t.Fatalf("KVLoad after a refused create = %q, %v; want the first value", v, err)
	}
	put("dkim/a.example/s2.pem", "second")
	put("dkim/ab.example/s1.pem", "other domain")
	put("dkim/a.example", "a key that is also a prefix")
	put("certs/x", "")
	put("dkim/a.example/s2.pem", "second, replaced")
	info, err := kv.KVStat(e.ctx, "dkim/a.example/s2.pem")
	if err != nil || info.Key != "dkim/a.example/s2.pem" || info.Size != int64(len("second, replaced")) ||
		info.Modified.Before(before) || info.Modified.After(time.Now().Add(time.Second)) {
		t.Fatalf("KVStat = %+v, %v", info, err)
	}
	if v, err := kv.KVLoad(e.ctx, "certs/x"); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("empty value loads as %v, %v; want empty, not nil", v, err)
	}
	listKeys := func(s store.Store, prefix string) []string {
		t.Helper()
		infos, err := s.KVList(e.ctx, prefix)
		if err != nil {
			t.Fatalf("KVList(%q): %v", prefix, err)
		}
		var keys []string
		for _, i := range infos {
			keys = append(keys, i.Key)
		}
		return keys
	}
	for prefix, want := range map[string][]string{
		"dkim/a.example/": {"dkim/a.example/s1.pem", "dkim/a.example/s2.pem"},
		"dkim/a.example":  {"dkim/a.example", "dkim/a.example/s1.pem", "dkim/a.example/s2.pem"},
		"dkim/":           {"dkim/a.example", "dkim/a.example/s1.pem", "dkim/a.example/s2.pem", "dkim/ab.example/s1.pem"},
		"":                {"certs/x", "dkim/a.example", "dkim/a.example/s1.pem", "dkim/a.example/s2.pem", "dkim/ab.example/s1.pem"},
		"nothing/":        nil,
	} {
		if got := listKeys(kv, prefix); !slices.Equal(got, want) {
			t.Errorf("KVList(%q) = %q, want %q", prefix, got, want)
		}
	}
	for _, bad := range []string{"", "/lead", "trail/", "a//b", "a/../b", "./a", "nul\x00", "\xff", string(make([]byte, store.MaxKeyLen+1))} {
		if err := kv.KVStore(e.ctx, bad, []byte("x")); !store.IsKind(err, store.KindInvalid) {
			t.Errorf("KVStore(%q): %v, want invalid", bad, err)
		}
		if err := kv.KVCreate(e.ctx, bad, []byte("x")); !store.IsKind(err, store.KindInvalid) {
			t.Errorf("KVCreate(%q): %v, want invalid", bad, err)
		}
	}

	// Another node on the same store sees the values and its writes are
	// seen here.
	other, err := b.Open(e.instance)
	if err != nil {
		t.Fatalf("open a second instance: %v", err)
	}
	if v, err := other.KVLoad(e.ctx, "dkim/a.example/s2.pem"); err != nil || string(v) != "second, replaced" {
		t.Fatalf("second instance loads %q, %v", v, err)
	}
	if err := other.KVCreate(e.ctx, "dkim/a.example/s1.pem", []byte("race")); !store.IsKind(err, store.KindExists) {
		t.Fatalf("KVCreate from the second instance over an existing key: %v", err)
	}
	if err := other.KVStore(e.ctx, "acme/lock-free", []byte{0, 1, 2, 0xff}); err != nil {
		t.Fatalf("KVStore from the second instance: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatalf("close the second instance: %v", err)
	}
	if v, err := kv.KVLoad(e.ctx, "acme/lock-free"); err != nil || !bytes.Equal(v, []byte{0, 1, 2, 0xff}) {
		t.Fatalf("value from the second instance = %v, %v", v, err)
	}

	if err := kv.KVDelete(e.ctx, "dkim/a.example"); err != nil {
		t.Fatalf("KVDelete: %v", err)
	}
	if err := kv.KVDelete(e.ctx, "dkim/a.example"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("KVDelete of a deleted key: %v, want not found", err)
	}
	if ok, err := kv.KVExists(e.ctx, "dkim/a.example"); ok || err != nil {
		t.Fatalf("KVExists of a deleted key = %v, %v", ok, err)
	}
	if ok, err := kv.KVExists(e.ctx, "dkim/a.example/s1.pem"); !ok || err != nil {
		t.Fatalf("KVExists of a key below a deleted one = %v, %v; deleting a key removes only it", ok, err)
	}
	if _, err := kv.KVStat(e.ctx, "dkim/a.example"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("KVStat of a deleted key: %v", err)
	}

	e.reopen()
	if v, err := e.s.KVLoad(e.ctx, "dkim/a.example/s1.pem"); err != nil || string(v) != "one" {
		t.Fatalf("after a restart KVLoad = %q, %v", v, err)
	}
	if got := listKeys(e.s, "dkim/"); len(got) != 3 {
		t.Fatalf("after a restart KVList = %q", got)
	}
}
