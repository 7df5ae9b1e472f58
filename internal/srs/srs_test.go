package srs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// memKV is the two KV calls the keyring makes, in memory.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *memKV) KVCreate(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	if _, ok := k.m[key]; ok {
		return store.Errorf(store.KindExists, "create", "exists")
	}
	k.m[key] = v
	return nil
}

func (k *memKV) KVLoad(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return nil, store.Errorf(store.KindNotFound, "load", "none")
	}
	return v, nil
}

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func at(kv KV, now *time.Time) *Rewriter {
	return New(Config{Now: func() time.Time { return *now }}, kv)
}

func addr(t testing.TB, s string) mailaddr.Address {
	t.Helper()
	a, err := mailaddr.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRoundTrip(t *testing.T) {
	ctx, now := context.Background(), t0
	r := at(&memKV{}, &now)
	for _, s := range []string{"user@orig.example", "first.last+tag@Orig.Example", "a=b@x.example", `"a b"@x.example`} {
		orig := addr(t, s)
		fw, err := r.Forward(ctx, orig, "fwd.example")
		if err != nil {
			t.Fatal(err)
		}
		if fw.Domain != "fwd.example" || !strings.HasPrefix(fw.Local, "SRS0=") {
			t.Fatalf("Forward(%s) = %s", s, fw)
		}
		// The address survives its string form (the wire) and back.
		back, err := r.Reverse(ctx, addr(t, fw.String()))
		if err != nil || back != orig {
			t.Fatalf("Reverse(%s) = %s, %v; want %s", fw, back, err, orig)
		}
	}
}

func TestForm(t *testing.T) {
	now := t0
	r := at(&memKV{}, &now)
	fw, err := r.Forward(context.Background(), addr(t, "user@orig.example"), "fwd.example")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(fw.Local, "=")
	if len(f) != 5 || f[0] != "SRS0" || len(f[1]) != hashLen || len(f[2]) != 2 || f[3] != "orig.example" || f[4] != "user" {
		t.Fatalf("form %q", fw.Local)
	}
	// 6 Dec 2026 is day 20793 since 1970, 313 modulo 1024: 9*32+25 = "JZ".
	if d := int(t0.Unix()/86400) % 1024; f[2] != "JZ" || d != 313 {
		t.Fatalf("stamp %q for day %d", f[2], d)
	}
}

func TestSRS1(t *testing.T) {
	ctx, now := context.Background(), t0
	first := at(&memKV{}, &now) // another forwarder with its own key
	us := at(&memKV{}, &now)
	srs0, err := first.Forward(ctx, addr(t, "user@orig.example"), "first.example")
	if err != nil {
		t.Fatal(err)
	}
	srs1, err := us.Forward(ctx, srs0, "us.example")
	if err != nil {
		t.Fatal(err)
	}
	want := "SRS1=" + srs1.Local[5:5+hashLen] + "=first.example=" + srs0.Local[4:]
	if srs1.Local != want || srs1.Domain != "us.example" {
		t.Fatalf("SRS1 = %s, want %s@us.example", srs1, want)
	}
	// Forwarded a third time: still SRS1 naming the first hop.
	third := at(&memKV{}, &now)
	again, err := third.Forward(ctx, srs1, "third.example")
	if err != nil || !strings.HasPrefix(again.Local, "SRS1=") || !strings.HasSuffix(again.Local, "=first.example="+srs0.Local[4:]) {
		t.Fatalf("SRS1 again = %s, %v", again, err)
	}
	// Reverse at each hop: the SRS0 address of the first hop, which
	// alone decodes it.
	back, err := us.Reverse(ctx, addr(t, srs1.String()))
	if err != nil || back != srs0 {
		t.Fatalf("Reverse(SRS1) = %s, %v; want %s", back, err, srs0)
	}
	back, err = third.Reverse(ctx, again)
	if err != nil || back != srs0 {
		t.Fatalf("Reverse(SRS1 third) = %s, %v", back, err)
	}
	if _, err := us.Reverse(ctx, srs0); !errors.Is(err, ErrBadHash) {
		t.Fatalf("our key decoded another forwarder's SRS0: %v", err)
	}
	if orig, err := first.Reverse(ctx, back); err != nil || orig.String() != "user@orig.example" {
		t.Fatalf("first hop Reverse = %s, %v", orig, err)
	}
}

func TestForgedAndTampered(t *testing.T) {
	ctx, now := context.Background(), t0
	r := at(&memKV{}, &now)
	fw, err := r.Forward(ctx, addr(t, "user@orig.example"), "fwd.example")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(fw.Local, "=")
	h := []byte(f[1])
	h[0] ^= 1
	forged := map[string]string{
		"hash":   "SRS0=" + string(h) + "=" + f[2] + "=" + f[3] + "=" + f[4],
		"user":   "SRS0=" + f[1] + "=" + f[2] + "=" + f[3] + "=victim",
		"domain": "SRS0=" + f[1] + "=" + f[2] + "=evil.example=" + f[4],
		"stamp":  "SRS0=" + f[1] + "=" + encodeStamp((int(t0.Unix()/86400)+1)%1024) + "=" + f[3] + "=" + f[4],
		"srs1":   "SRS1=" + f[1] + "=orig.example==" + f[1] + "=" + f[2] + "=x=y",
	}
	for name, local := range forged {
		if _, err := r.Reverse(ctx, mailaddr.Address{Local: local, Domain: "fwd.example"}); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s forged: %v, want ErrBadHash", name, err)
		}
	}
	// Another key (another installation) does not decode ours.
	if _, err := at(&memKV{}, &now).Reverse(ctx, fw); !errors.Is(err, ErrBadHash) {
		t.Errorf("another key: %v", err)
	}
	for _, local := range []string{"SRS0=x", "SRS0=h=t=d", "SRS0=h=AAA=d=u", "SRS0=h=!!=d=u", "SRS1=h=hop", "SRS1=h==x", "srs2=a=b=c=d", "user"} {
		if _, err := r.Reverse(ctx, mailaddr.Address{Local: local, Domain: "fwd.example"}); err == nil {
			t.Errorf("Reverse(%q) = %v", local, err)
		}
	}
	if _, err := r.Reverse(ctx, addr(t, "user@fwd.example")); !errors.Is(err, ErrNotSRS) {
		t.Errorf("plain address: %v", err)
	}
}

func TestExpired(t *testing.T) {
	ctx, now := context.Background(), t0
	r := at(&memKV{}, &now)
	fw, err := r.Forward(ctx, addr(t, "user@orig.example"), "fwd.example")
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(21 * 24 * time.Hour)
	if _, err := r.Reverse(ctx, fw); err != nil {
		t.Fatalf("21 days old: %v", err)
	}
	now = t0.Add(22 * 24 * time.Hour)
	if _, err := r.Reverse(ctx, fw); !errors.Is(err, ErrExpired) {
		t.Fatalf("22 days old: %v, want ErrExpired", err)
	}
	// A stamp from the future (wrapped) is as old as it gets.
	now = t0.Add(-24 * time.Hour)
	if _, err := r.Reverse(ctx, fw); !errors.Is(err, ErrExpired) {
		t.Fatalf("from tomorrow: %v, want ErrExpired", err)
	}
	short := New(Config{MaxAge: 2 * 24 * time.Hour, Now: func() time.Time { return t0.Add(3 * 24 * time.Hour) }}, r.keys.kv)
	if _, err := short.Reverse(ctx, fw); !errors.Is(err, ErrExpired) {
		t.Fatalf("max age 2 days, 3 days old: %v", err)
	}
}

func TestCaseFolded(t *testing.T) {
	ctx, now := context.Background(), t0
	r := at(&memKV{}, &now)
	fw, err := r.Forward(ctx, addr(t, "User@Orig.Example"), "fwd.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(string) string{strings.ToLower, strings.ToUpper} {
		got, err := r.Reverse(ctx, mailaddr.Address{Local: f(fw.Local), Domain: "fwd.example"})
		if err != nil || !strings.EqualFold(got.String(), "user@orig.example") {
			t.Fatalf("case-folded %q: %s, %v", f(fw.Local), got, err)
		}
	}
}

func TestNotRewritable(t *testing.T) {
	now := t0
	r := at(&memKV{}, &now)
	for _, a := range []mailaddr.Address{{}, {Local: "u", Domain: "[192.0.2.1]"}} {
		if _, err := r.Forward(context.Background(), a, "fwd.example"); !errors.Is(err, ErrNotRewritable) {
			t.Errorf("Forward(%q): %v", a, err)
		}
	}
}

// TestKeyShared: two nodes on one KV make one key between them, and the
// second checks what the first signed; a rotated key list still checks
// the old key's addresses.
func TestKeyShared(t *testing.T) {
	ctx, now := context.Background(), t0
	kv := &memKV{}
	a, b := at(kv, &now), at(kv, &now)
	var wg sync.WaitGroup
	var fa, fb mailaddr.Address
	var ea, eb error
	wg.Go(func() { fa, ea = a.Forward(ctx, addr(t, "x@orig.example"), "fwd.example") })
	wg.Go(func() { fb, eb = b.Forward(ctx, addr(t, "x@orig.example"), "fwd.example") })
	wg.Wait()
	if ea != nil || eb != nil || fa != fb {
		t.Fatalf("two nodes: %s %v / %s %v", fa, ea, fb, eb)
	}
	if _, err := b.Reverse(ctx, fa); err != nil {
		t.Fatal(err)
	}
	old := kv.m[KeyName]
	rotated := &memKV{m: map[string][]byte{KeyName: append([]byte("bmV3IGtleSBuZXcga2V5IG5ldyBrZXkh\n"), old...)}}
	c := at(rotated, &now)
	if _, err := c.Reverse(ctx, fa); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
	if fc, _ := c.Forward(ctx, addr(t, "x@orig.example"), "fwd.example"); fc == fa {
		t.Fatal("the rotated list signs with the old key")
	}
	bad := at(&memKV{m: map[string][]byte{KeyName: []byte("short\n")}}, &now)
	if _, err := bad.Forward(ctx, addr(t, "x@orig.example"), "fwd.example"); err == nil {
		t.Fatal("a broken key list signed")
	}
}

func FuzzReverse(f *testing.F) {
	ctx, now := context.Background(), t0
	r := at(&memKV{}, &now)
	fw, _ := r.Forward(ctx, mailaddr.Address{Local: "user", Domain: "orig.example"}, "fwd.example")
	s1, _ := r.Forward(ctx, mailaddr.Address{Local: "SRS0=abcd=AA=o.example=u", Domain: "hop.example"}, "fwd.example")
	for _, s := range []string{fw.Local, s1.Local, "SRS0=", "SRS1===", "srs0+h+t+d+u", "SRS0=h=AA=d=", "SRS1=h=hop=+x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, local string) {
		got, err := r.Reverse(ctx, mailaddr.Address{Local: local, Domain: "fwd.example"})
		if err != nil {
			return
		}
		// Only what we issued decodes (any separator after the scheme,
		// any case): a forged hash passes once in 2^40.
		norm := local[:4] + "=" + local[5:]
		if !strings.EqualFold(norm, fw.Local) && !strings.EqualFold(norm, s1.Local) {
			t.Fatalf("Reverse(%q) = %s: accepted an address not issued", local, got)
		}
	})
}
