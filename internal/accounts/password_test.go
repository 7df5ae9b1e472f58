package accounts

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"
)

func TestHashFormat(t *testing.T) {
	ctx := context.Background()
	svc := New(newFakeDir(), Options{Argon: &ArgonParams{Time: 1, Memory: 64, Threads: 2, SaltLen: 12, KeyLen: 20}})
	h, err := svc.hashPassword(ctx, "pässword")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=2\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{27}$`)
	if !re.MatchString(h) {
		t.Fatalf("hash %q does not match %v", h, re)
	}
	d, err := decodeHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if d.encode() != h {
		t.Fatalf("round trip: %q became %q", h, d.encode())
	}
	want := ArgonParams{Time: 1, Memory: 64, Threads: 2, SaltLen: 12, KeyLen: 20}
	if d.params != want {
		t.Fatalf("decoded params %+v, want %+v", d.params, want)
	}
	for pw, want := range map[string]bool{"pässword": true, "password": false, "": false, "pässword ": false} {
		if ok, err := svc.verifyPassword(ctx, pw, h); err != nil || ok != want {
			t.Errorf("verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := svc.hashPassword(ctx, "pässword")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

// TestHashKnownVectors verifies hashes made by the argon2 reference
// implementation (Debian package argon2, e.g.
// `echo -n password | argon2 0123456789abcdef -id -t 1 -k 64 -p 1 -l 32 -e`).
func TestHashKnownVectors(t *testing.T) {
	svc := New(newFakeDir(), Options{Argon: cheapArgon()})
	for _, v := range []struct{ password, hash string }{
		{"password", "$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$c8unoZL1fMiTW9VzsIzI4XiLIjeYmhsk2dCIUg21RpY"},
		{"correct horse", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AdweBLwcflnNX2HVW8i1Mtu7frrn4Ki7h/rYSGuU7Is"},
		{"pässword", "$argon2id$v=19$m=64,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Ubn4oDGJ2AzpeGQ3x4erOg"},
	} {
		ok, err := svc.verifyPassword(context.Background(), v.password, v.hash)
		if !ok || err != nil {
			t.Errorf("verify(%q, %q) = %v, %v", v.password, v.hash, ok, err)
		}
		if ok, _ := svc.verifyPassword(context.Background(), v.password+"x", v.hash); ok {
			t.Errorf("verify(%q+x) succeeded", v.password)
		}
		if d, err := decodeHash(v.hash); err != nil || d.encode() != v.hash {
			t.Errorf("decode/encode %q: %v", v.hash, err)
		}
	}
}

func TestDefaultParams(t *testing.T) {
	svc := New(newFakeDir(), Options{})
	want := ArgonParams{Time: 2, Memory: 19456, Threads: 1, SaltLen: 16, KeyLen: 32}
	if svc.argon != want {
		t.Fatalf("defaults %+v, want %+v", svc.argon, want)
	}
	if cap(svc.hashSlots) < 1 {
		t.Fatalf("hash concurrency %d", cap(svc.hashSlots))
	}
	partial := New(newFakeDir(), Options{Argon: &ArgonParams{Time: 3, Threads: 4}, HashConcurrency: 2})
	want = ArgonParams{Time: 3, Memory: 19456, Threads: 4, SaltLen: 16, KeyLen: 32}
	if partial.argon != want || cap(partial.hashSlots) != 2 {
		t.Fatalf("partial options: %+v, concurrency %d", partial.argon, cap(partial.hashSlots))
	}
}

func TestDecodeHashRejects(t *testing.T) {
	const salt, key = "MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	for _, h := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=4,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$MDEy$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$MDEy",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
	} {
		if _, err := decodeHash(h); err == nil {
			t.Errorf("decodeHash(%q) succeeded", h)
		}
	}
}

func TestHashConcurrencyBound(t *testing.T) {
	svc := New(newFakeDir(), Options{Argon: cheapArgon(), HashConcurrency: 1})
	svc.hashSlots <- struct{}{} // the one slot is busy
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := svc.hashPassword(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hash with no free slot: %v, want the context's error", err)
	}
	<-svc.hashSlots
	if _, err := svc.hashPassword(context.Background(), "pw"); err != nil {
		t.Fatalf("hash with a free slot: %v", err)
	}
	if n := len(svc.hashSlots); n != 0 {
		t.Fatalf("%d slots still held", n)
	}
}

// FuzzDecodeHash checks that the PHC parser never panics and that what it
// accepts encodes to a string it decodes to the same value.
func FuzzDecodeHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=064,t=+1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZg")
	f.Add("")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := decodeHash(s)
		if err != nil {
			return
		}
		h2, err := decodeHash(h.encode())
		if err != nil {
			t.Fatalf("re-decode of %q: %v", h.encode(), err)
		}
		if h2.encode() != h.encode() || h2.params != h.params {
			t.Fatalf("round trip of %q changed: %+v vs %+v", s, h, h2)
		}
	})
}
