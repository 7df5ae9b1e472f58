package accounts

import (
	"bytes"
	"testing"
)

func TestMaySendAs(t *testing.T) {
	f := newFixture(t, Options{SubaddressSeparator: "+"})
	alice := f.user("alice@example.org")
	f.user("bob@example.org")
	f.extra("alice@example.org", "a.smith@bücher.example")
	f.alias("team@example.org", "alice@example.org", "bob@example.org")
	f.alias("outer@example.org", "team@example.org")
	f.alias("bobs@example.org", "bob@example.org")
	f.alias("fwd@example.org", "someone@remote.example")
	f.alias("@example.org", "alice@example.org") // catch-all
	for _, c := range []struct {
		addr string
		want bool
	}{
		{"alice@example.org", true},
		{"ALICE@Example.Org", true},
		{"alice+lists@example.org", true},
		{"a.smith@xn--bcher-kva.example", true}, // extra address, A-label
		{"team@example.org", true},              // alias reaching alice
		{"team+x@example.org", true},
		{"outer@example.org", true}, // nested alias
		{"bob@example.org", false},  // another account
		{"bob+alice@example.org", false},
		{"bobs@example.org", false},    // alias of another account
		{"fwd@example.org", false},     // remote-only alias
		{"random@example.org", false},  // only the catch-all matches
		{"alice@other.example", false}, // not a local domain
		{"alice@[127.0.0.1]", false},   // literal
		{"not an address", false},      // syntax
		{"", false},
	} {
		got, err := f.svc.MaySendAs(f.ctx, alice.Address, c.addr)
		if err != nil || got != c.want {
			t.Errorf("MaySendAs(alice, %q) = %v, %v; want %v", c.addr, got, err, c.want)
		}
	}
	if ok, err := f.svc.MaySendAs(f.ctx, "ghost@example.org", "ghost@example.org"); ok || err != nil {
		t.Errorf("unknown account: %v, %v", ok, err)
	}
}

func TestLoginServer(t *testing.T) {
	var gotUser, gotPass string
	auth := func(u, p string) error { gotUser, gotPass = u, p; return nil }
	// Without an initial response.
	m := NewLoginServer(auth)
	for i, step := range []struct {
		resp      []byte
		challenge string
		done      bool
	}{{nil, "Username:", false}, {[]byte("alice"), "Password:", false}, {[]byte("pw"), "", true}} {
		ch, done, err := m.Next(step.resp)
		if err != nil || string(ch) != step.challenge || done != step.done {
			t.Fatalf("step %d: %q %v %v", i, ch, done, err)
		}
	}
	if gotUser != "alice" || gotPass != "pw" {
		t.Fatalf("credentials %q %q", gotUser, gotPass)
	}
	if _, _, err := m.Next([]byte("more")); err == nil {
		t.Fatal("a response after the end was accepted")
	}
	// With an initial response (the user name).
	m = NewLoginServer(auth)
	if ch, _, _ := m.Next([]byte("bob")); !bytes.Equal(ch, []byte("Password:")) {
		t.Fatalf("initial response: challenge %q", ch)
	}
	if _, done, err := m.Next([]byte("pw2")); !done || err != nil || gotUser != "bob" {
		t.Fatalf("done %v err %v user %q", done, err, gotUser)
	}
}

func TestThrottleKey(t *testing.T) {
	if a, b := ThrottleKey(" Alice@EXAMPLE.org "), ThrottleKey("alice@example.org"); a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if k := ThrottleKey("NotAnAddress"); k != "notanaddress" {
		t.Fatalf("%q", k)
	}
}

// AccountKey names the account behind any spelling or address of it, and
// falls back to the canonical form for names that are no account.
func TestAccountKey(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("alice@example.org")
	f.extra("alice@example.org", "al@bücher.example")
	for _, u := range []string{"alice@example.org", " ALICE@Example.ORG", `"alice"@example.org`,
		"alice@ｅｘａｍｐｌｅ.org", "Al@BÜCHER.example", "al@xn--bcher-kva.example"} {
		if k := f.svc.AccountKey(f.ctx, u); k != "alice@example.org" {
			t.Errorf("AccountKey(%q) = %q, want alice@example.org", u, k)
		}
	}
	if k := f.svc.AccountKey(f.ctx, "Nobody@Example.org"); k != "nobody@example.org" {
		t.Errorf("unknown user: %q", k)
	}
	if k := f.svc.AccountKey(f.ctx, "Not An Address"); k != "not an address" {
		t.Errorf("not an address: %q", k)
	}
}
