package dkim

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func TestGenerateRSA(t *testing.T) {
	dir := newKeys()
	k, err := Generate(ctxb, dir, "Example.ORG", "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if k.Domain != "example.org" || k.Selector != "rsa-202603" || k.Algorithm != RSA || !k.Created.Equal(testNow) {
		t.Errorf("key = %+v", k)
	}
	if want := "dkim/example.org/rsa-202603.pem"; k.Name != want {
		t.Errorf("name %s, want %s", k.Name, want)
	}
	if k.RecordName() != "rsa-202603._domainkey.example.org" {
		t.Errorf("record name %q", k.RecordName())
	}
	p := checkTXT(t, k.TXT(), "rsa")
	pub, err := x509.ParsePKIXPublicKey(p)
	if err != nil {
		t.Fatalf("p= is not SubjectPublicKeyInfo: %v", err)
	}
	if rk, ok := pub.(*rsa.PublicKey); !ok || rk.N.BitLen() != 2048 {
		t.Errorf("public key %T, want RSA 2048", pub)
	}
	// The value is a PKCS#8 PEM key that other tools read.
	data, _ := dir.KVLoad(ctxb, k.Name)
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("file is not a PKCS#8 PEM key:\n%s", data)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
}

// checkTXT checks the form of a key record's text and returns p=.
func checkTXT(t *testing.T, txt, alg string) []byte {
	t.Helper()
	prefix := "v=DKIM1; k=" + alg + "; p="
	if !strings.HasPrefix(txt, prefix) {
		t.Fatalf("TXT %q, want prefix %q", txt, prefix)
	}
	p, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(txt, prefix))
	if err != nil {
		t.Fatalf("p= is not base64: %v", err)
	}
	return p
}

func TestGenerateEd25519(t *testing.T) {
	dir := newKeys()
	k, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if k.Selector != "ed-202603" || k.Algorithm != Ed25519 {
		t.Errorf("key = %+v", k)
	}
	// RFC 8463 §4.2: p= is the raw 32-octet public key.
	if p := checkTXT(t, k.TXT(), "ed25519"); len(p) != ed25519.PublicKeySize {
		t.Errorf("p= has %d octets, want 32", len(p))
	}
	if zr := k.ZoneRecord(); zr != `ed-202603._domainkey.example.org. IN TXT "`+k.TXT()+`"` {
		t.Errorf("zone record %q", zr)
	}
}

func TestGenerateIDNAndSelector(t *testing.T) {
	dir := newKeys()
	k, err := Generate(ctxb, dir, "bücher.example", "Mail.2026", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if k.Domain != "xn--bcher-kva.example" || k.Selector != "mail.2026" {
		t.Errorf("domain %q selector %q", k.Domain, k.Selector)
	}
	if _, err := dir.KVLoad(ctxb, "dkim/xn--bcher-kva.example/mail.2026.pem"); err != nil {
		t.Error(err)
	}
}

func TestGenerateRefuses(t *testing.T) {
	dir := newKeys()
	first, err := Generate(ctxb, dir, "example.org", "s1", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := dir.KVLoad(ctxb, first.Name)
	_, err = Generate(ctxb, dir, "example.org", "s1", Ed25519, testNow)
	if !errors.Is(err, os.ErrExist) || !errors.Is(err, ErrExists) {
		t.Errorf("second key with the same selector: %v, want ErrExists", err)
	}
	if after, _ := dir.KVLoad(ctxb, first.Name); string(after) != string(before) {
		t.Error("the existing key was replaced")
	}
	cases := []struct{ domain, selector, alg string }{
		{"exa mple.org", "s", RSA},
		{"", "s", RSA},
		{"example.org", "bad_selector", RSA},
		{"example.org", "-s", RSA},
		{"example.org", "a..b", RSA},
		{"example.org", "../escape", RSA},
		{"example.org", "s2", "dsa"},
		{"example.org", strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50), RSA},
	}
	for _, tc := range cases {
		if _, err := Generate(ctxb, dir, tc.domain, tc.selector, tc.alg, testNow); err == nil {
			t.Errorf("Generate(%q, %q, %q) succeeded", tc.domain, tc.selector, tc.alg)
		}
	}
	if entries, _ := dir.KVList(ctxb, ""); len(entries) != 1 {
		t.Errorf("keys after refused generations: %v", entries)
	}
}

func TestSplitTXT(t *testing.T) {
	s := strings.Repeat("x", 600)
	parts := SplitTXT(s)
	if len(parts) != 3 || len(parts[0]) != 255 || len(parts[1]) != 255 || len(parts[2]) != 90 || strings.Join(parts, "") != s {
		t.Errorf("SplitTXT(600 octets) = %d parts", len(parts))
	}
	if got := SplitTXT("short"); len(got) != 1 || got[0] != "short" {
		t.Errorf("SplitTXT(short) = %q", got)
	}
	if got := SplitTXT(strings.Repeat("y", 255)); len(got) != 1 {
		t.Errorf("255 octets split into %d", len(got))
	}
}

func TestZoneRecordRSA(t *testing.T) {
	k, err := Generate(ctxb, newKeys(), "example.org", "sel", RSA, testNow)
	if err != nil {
		t.Fatal(err)
	}
	zr := k.ZoneRecord()
	head := "sel._domainkey.example.org. IN TXT "
	if !strings.HasPrefix(zr, head) {
		t.Fatalf("zone record %q", zr)
	}
	strs := strings.Split(strings.TrimPrefix(zr, head), " ")
	var joined strings.Builder
	// A 2048-bit key's record is about 410 octets: two strings.
	for _, q := range strings.Split(strings.Trim(strings.TrimPrefix(zr, head), `"`), `" "`) {
		if len(q) > 255 {
			t.Errorf("character-string of %d octets", len(q))
		}
		joined.WriteString(q)
	}
	if joined.String() != k.TXT() || len(strs) < 4 {
		t.Errorf("zone record strings do not join to the TXT:\n%s\n%s", zr, k.TXT())
	}
}

func TestLoad(t *testing.T) {
	dir := newKeys()
	old, err := Generate(ctxb, dir, "example.org", "", RSA, testNow.AddDate(0, -2, 0))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := Generate(ctxb, dir, "example.org", "", RSA, testNow)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow.Add(time.Hour+123456789))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(ctxb, dir, "example.net", "x", Ed25519, testNow); err != nil {
		t.Fatal(err)
	}
	// Values that are not keys.
	dir.put("dkim/Upper.Example/s.pem", "x", testNow)
	dir.put("dkim/example.org/broken.pem", "not a key", testNow)
	dir.put("dkim/example.org/bad_sel.pem", "x", testNow)
	dir.put("dkim/example.org/deeper/s.pem", "x", testNow)
	dir.put("dkim/stray.pem", "x", testNow)
	dir.put("certs/example.org.pem", "not a DKIM key at all", testNow)

	r, err := Load(ctxb, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Domains(), " "); got != "example.net example.org" {
		t.Errorf("domains %q", got)
	}
	keys := r.Keys("EXAMPLE.org")
	var sels []string
	for _, k := range keys {
		sels = append(sels, k.Selector)
	}
	if got := strings.Join(sels, " "); got != "ed-202603 rsa-202603 rsa-202601" {
		t.Errorf("keys newest first: %q", got)
	}
	for i, want := range []*Key{ed, newer, old} {
		k := keys[i]
		if !k.Created.Equal(want.Created) || k.Algorithm != want.Algorithm || k.TXT() != want.TXT() || k.Name != want.Name {
			t.Errorf("reloaded %s: %+v, want %+v", k.Selector, k, want)
		}
	}
	if len(r.Skipped()) != 5 {
		t.Errorf("skipped %v, want Upper.Example, broken.pem, bad_sel.pem, deeper/s.pem, stray.pem", r.Skipped())
	}
	if r.Keys("unknown.example") != nil || r.Keys("bad domain") != nil {
		t.Error("keys for a domain without keys")
	}

	empty, err := Load(ctxb, newKeys())
	if err != nil || len(empty.Domains()) != 0 {
		t.Errorf("empty store: %v, %v", empty, err)
	}
}

// TestLoadWithoutCreated: a value without a Created line was created when
// it was stored.
func TestLoadWithoutCreated(t *testing.T) {
	dir := newKeys()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	stored := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	dir.put("dkim/example.org/old.pem", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), stored)
	r, err := Load(ctxb, dir)
	if err != nil {
		t.Fatal(err)
	}
	if keys := r.Keys("example.org"); len(keys) != 1 || !keys[0].Created.Equal(stored) {
		t.Fatalf("keys %+v, want one created %v", keys, stored)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
