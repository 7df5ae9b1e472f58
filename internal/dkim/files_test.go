package dkim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestImport: the key files of earlier versions move into the KeyStore
// once, keep their creation time (the Created line, or else the file's
// modification time), and are renamed; what is not a key is reported and
// left; a selector the store has already is never replaced.
func TestImport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dkim")
	// Files as earlier versions of Generate wrote them.
	src := newKeys()
	rsaKey, err := Generate(ctxb, src, "example.org", "", RSA, testNow.AddDate(0, -2, 0))
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := Generate(ctxb, src, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Key{rsaKey, edKey} {
		data, _ := src.KVLoad(ctxb, k.Name)
		mustWrite(t, filepath.Join(dir, "example.org", k.Selector+".pem"), string(data))
	}
	// A PKCS#1 RSA key without a Created line (as older OpenSSL writes
	// them): created is the file's modification time.
	foreign, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(dir, "example.net", "old.pem")
	mustWrite(t, oldPath, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(foreign)})))
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(oldPath, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	// RFC 8301 §3.2: no signing with RSA keys under 1024 bits.
	t.Setenv("GODEBUG", "rsa1024min=0")
	small, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(small)
	mustWrite(t, filepath.Join(dir, "example.org", "small.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	// Things that are not keys.
	mustWrite(t, filepath.Join(dir, "Upper.Example", "s.pem"), "x")
	mustWrite(t, filepath.Join(dir, "example.org", "broken.pem"), "not a key")
	mustWrite(t, filepath.Join(dir, "example.org", "notes.txt"), "hello")
	mustWrite(t, filepath.Join(dir, "example.org", ".tmp.pem.tmp-1"), "partial")
	mustWrite(t, filepath.Join(dir, "stray.pem"), "x")

	ks := newKeys()
	imported, skipped, err := Import(ctxb, ks, dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(imported)
	if want := []string{"dkim/example.net/old.pem", edKey.Name, rsaKey.Name}; !slices.Equal(imported, want) {
		t.Errorf("imported %q, want %q", imported, want)
	}
	var why []string
	for _, e := range skipped {
		why = append(why, e.Error())
	}
	for _, want := range []string{"Upper.Example", "broken.pem", "small.pem", "stray.pem"} {
		if !strings.Contains(strings.Join(why, "\n"), want) {
			t.Errorf("skipped %q: no word of %s", why, want)
		}
	}
	if len(skipped) != 4 {
		t.Errorf("skipped %q, want 4", why)
	}
	ring, err := Load(ctxb, ks)
	if err != nil {
		t.Fatal(err)
	}
	keys := ring.Keys("example.org")
	if len(keys) != 2 || keys[0].Selector != edKey.Selector || !keys[0].Created.Equal(edKey.Created) ||
		keys[0].TXT() != edKey.TXT() || !keys[1].Created.Equal(rsaKey.Created) || keys[1].TXT() != rsaKey.TXT() {
		t.Fatalf("imported keys %+v, want the files' keys with their Created times", keys)
	}
	if k := ring.Keys("example.net"); len(k) != 1 || !k[0].Created.Equal(mtime) || k[0].Algorithm != RSA {
		t.Fatalf("foreign key %+v, want created at the file's modification time %v", k, mtime)
	}
	for _, name := range []string{"example.org/" + rsaKey.Selector + ".pem", "example.org/" + edKey.Selector + ".pem", "example.net/old.pem"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after the import: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, name+ImportedSuffix)); err != nil {
			t.Errorf("%s not renamed: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "example.org", "broken.pem")); err != nil {
		t.Errorf("a file that is not a key was moved: %v", err)
	}

	// Once: a second import finds nothing new, and a key removed since
	// is not brought back.
	if err := Remove(ctxb, ks, "example.net", "old"); err != nil {
		t.Fatal(err)
	}
	if imported, _, err := Import(ctxb, ks, dir); err != nil || len(imported) != 0 {
		t.Fatalf("second import: %q, %v", imported, err)
	}
	if _, err := Export(ctxb, ks, "example.net", "old"); err != ErrNoKey {
		t.Fatalf("removed key after a second import: %v", err)
	}

	// A file with a selector the store has with another key stays; the
	// same key (a crash before the rename) is renamed.
	other := newKeys()
	if _, err := Generate(ctxb, other, "example.com", "s", Ed25519, testNow); err != nil {
		t.Fatal(err)
	}
	otherData, _ := Export(ctxb, other, "example.com", "s")
	mustWrite(t, filepath.Join(dir, "example.com", "s.pem"), string(otherData))
	if _, err := Generate(ctxb, ks, "example.com", "s", Ed25519, testNow); err != nil {
		t.Fatal(err)
	}
	mine, _ := Export(ctxb, ks, "example.com", "s")
	mustWrite(t, filepath.Join(dir, "example.com", "same.pem"), string(mine))
	if err := ks.KVCreate(ctxb, KeyName("example.com", "same"), mine); err != nil {
		t.Fatal(err)
	}
	imported, skipped, err = Import(ctxb, ks, dir)
	if err != nil || !slices.Equal(imported, []string{"dkim/example.com/same.pem"}) {
		t.Fatalf("import of a stored key: %q, %v", imported, err)
	}
	if !strings.Contains(strings.Join(errStrings(skipped), "\n"), "example.com/s.pem: the store has another key") {
		t.Errorf("skipped %q: the conflicting file is not reported", skipped)
	}
	if now, _ := Export(ctxb, ks, "example.com", "s"); string(now) != string(mine) {
		t.Error("the import replaced a stored key")
	}
	if _, err := os.Stat(filepath.Join(dir, "example.com", "s.pem")); err != nil {
		t.Errorf("the conflicting file was moved: %v", err)
	}

	if imported, skipped, err := Import(ctxb, ks, filepath.Join(dir, "missing")); imported != nil || skipped != nil || err != nil {
		t.Errorf("missing dir: %v %v %v", imported, skipped, err)
	}
}

func errStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// TestRemoveExport: Export returns what Import reads back; Remove retires
// a key; both refuse a selector without a key.
func TestRemoveExport(t *testing.T) {
	ks := newKeys()
	k, err := Generate(ctxb, ks, "example.org", "s1", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Export(ctxb, ks, "Example.ORG", "S1")
	if err != nil || !strings.Contains(string(data), "Created: ") || !strings.Contains(string(data), "BEGIN PRIVATE KEY") {
		t.Fatalf("Export = %q, %v", data, err)
	}
	if err := Remove(ctxb, ks, "example.org", "s1"); err != nil {
		t.Fatal(err)
	}
	if err := Remove(ctxb, ks, "example.org", "s1"); err != ErrNoKey {
		t.Fatalf("Remove twice: %v", err)
	}
	if _, err := Export(ctxb, ks, "example.org", "s1"); err != ErrNoKey {
		t.Fatalf("Export of a removed key: %v", err)
	}
	if err := Remove(ctxb, ks, "example.org", "../x"); err == nil {
		t.Fatal("Remove of an invalid selector")
	}
	// The export imports back as the same key.
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "example.org", "s1.pem"), string(data))
	if _, _, err := Import(ctxb, ks, dir); err != nil {
		t.Fatal(err)
	}
	ring, _ := Load(ctxb, ks)
	if keys := ring.Keys("example.org"); len(keys) != 1 || keys[0].TXT() != k.TXT() || !keys[0].Created.Equal(k.Created) {
		t.Fatalf("re-imported export: %+v", keys)
	}
}
