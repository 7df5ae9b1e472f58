package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// zoneLine is the record line `petrel dkim generate` prints: the name and
// the text in quoted strings of at most 255 octets.
var zoneLine = regexp.MustCompile(`^([a-z0-9.-]+)\._domainkey\.([a-z0-9.-]+)\. IN TXT ((?:"[^"]{1,255}" ?)+)\n$`)

// recordText joins the quoted strings of a printed record.
func recordText(t *testing.T, out string) (selector, domain, txt string) {
	t.Helper()
	m := zoneLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout %q is not one TXT record line", out)
	}
	for _, s := range strings.Split(strings.TrimSpace(m[3]), `" "`) {
		txt += strings.Trim(s, `"`)
	}
	return m[1], m[2], txt
}

func TestDKIMGenerate(t *testing.T) {
	e := newEnv(t, "")
	r := e.run("", "dkim", "generate", "Example.ORG")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sel, domain, txt := recordText(t, r.stdout)
	if want := "rsa-" + time.Now().UTC().Format("200601"); sel != want || domain != "example.org" {
		t.Errorf("record for %s._domainkey.%s, want %s._domainkey.example.org", sel, domain, want)
	}
	if !strings.HasPrefix(txt, "v=DKIM1; k=rsa; p=") || len(txt) < 300 {
		t.Errorf("TXT %q", txt)
	}
	for _, want := range []string{"petrel dns example.org", "warning: example.org is not a local domain"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	// The printed record is the stored key's.
	st := e.openStore()
	ring, err := dkim.Load(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if keys := ring.Keys("example.org"); len(keys) != 1 || keys[0].TXT() != txt {
		t.Errorf("keys %+v do not match the printed record", keys)
	}
	st.Close()

	// Ed25519 with a chosen selector, for a local domain: no warning, a
	// note only when there is no RSA key.
	e.ok("", "domain", "add", "example.org")
	e.ok("", "domain", "add", "example.net")
	r = e.run("", "dkim", "generate", "example.org", "--algorithm", "ed25519", "--selector=Ed1")
	sel, _, txt = recordText(t, r.stdout)
	if r.code != 0 || sel != "ed1" || !strings.HasPrefix(txt, "v=DKIM1; k=ed25519; p=") {
		t.Errorf("ed25519: exit %d, %q, %q", r.code, sel, txt)
	}
	if strings.Contains(r.stderr, "warning") || strings.Contains(r.stderr, "RSA") {
		t.Errorf("stderr for a local domain with an RSA key: %s", r.stderr)
	}
	r = e.run("", "dkim", "generate", "--algorithm=ed25519", "example.net")
	if r.code != 0 || !strings.Contains(r.stderr, "only RSA signatures") {
		t.Errorf("ed25519 without RSA: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestDKIMGenerateErrors(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "dkim", "generate", "example.org", "--selector", "s1")
	before := e.ok("", "dkim", "export", "example.org", "s1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dkim", "generate", "example.org", "--selector", "S1"}, "example.org already has a key with the selector s1"},
		{[]string{"dkim", "generate", "exa mple..org"}, "dkim: invalid domain"},
		{[]string{"dkim", "remove", "example.org", "s2"}, "example.org has no key with the selector s2"},
		{[]string{"dkim", "export", "example.org", "s2"}, "example.org has no key with the selector s2"},
		{[]string{"dkim", "export", "example.org", "bad_selector"}, "dkim: invalid selector"},
	} {
		r := e.run("", tc.args...)
		if r.code != exitFail || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
	if after := e.ok("", "dkim", "export", "example.org", "s1"); after != before || !strings.Contains(before, "BEGIN PRIVATE KEY") {
		t.Error("the existing key was replaced")
	}
}

func TestTakeValueFlag(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		value string
		rest  string
	}{
		{[]string{"generate", "d", "--selector", "s"}, "s", "generate d"},
		{[]string{"-selector=x", "generate"}, "x", "generate"},
		{[]string{"--config", "f", "--selector", "a", "--selector=b"}, "b", "--config f"},
		{[]string{"generate", "--", "--selector", "s"}, "", "generate -- --selector s"},
		{[]string{"--selectors", "x"}, "", "--selectors x"},
	} {
		v, rest, err := takeValueFlag("dkim", tc.args, "selector")
		if err != nil || v != tc.value || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%q: %q %q %v", tc.args, v, rest, err)
		}
	}
	if _, _, err := takeValueFlag("dkim", []string{"generate", "d", "--selector"}, "selector"); err == nil {
		t.Error("--selector without a value accepted")
	}
}

// A second key of an algorithm is a rotation: the old key keeps signing
// for dkim.ActivationDelay, and the command says so.
func TestDKIMGenerateRotation(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "dkim", "generate", "example.org", "--algorithm", "ed25519", "--selector", "old")
	r := e.run("", "dkim", "generate", "example.org", "--algorithm", "ed25519", "--selector", "new")
	if r.code != 0 || !strings.Contains(r.stderr, "old keeps signing until") || !strings.Contains(r.stderr, "switch now: petrel dkim remove example.org old") {
		t.Errorf("rotation: exit %d, stderr %s", r.code, r.stderr)
	}
	if sel, _, _ := recordText(t, r.stdout); sel != "new" {
		t.Errorf("record for %q", sel)
	}
}

// openStore opens the store of the environment's data directory (no
// server runs on it, or one does: the store is shared).
func (e *env) openStore() *sqlite.Store {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: e.dataDir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// TestDKIMFilesImportedExportRemove: the key files of earlier versions in
// <data_dir>/dkim are moved into the store by the first command that reads
// keys, once; export prints a key file that imports back; remove retires
// a key.
func TestDKIMFilesImportedExportRemove(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	src := filepath.Join(dnsFixtureKeys, "example.org", "rsa-202601.pem")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(e.dataDir, "dkim", "example.org", "rsa-202601.pem")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "dkim", "export", "example.org", "rsa-202601")
	if r.code != 0 || r.stdout != string(data) || !strings.Contains(r.stderr, "imported the DKIM key file of dkim/example.org/rsa-202601.pem") {
		t.Fatalf("export of a key file: exit %d, stderr %q, stdout is the file: %v", r.code, r.stderr, r.stdout == string(data))
	}
	if _, err := os.Stat(file + dkim.ImportedSuffix); err != nil {
		t.Fatalf("the imported file was not renamed: %v", err)
	}
	// A generated key, exported, removed and restored by a key file.
	e.ok("", "dkim", "generate", "example.org", "--algorithm", "ed25519", "--selector", "ed1")
	backup := e.ok("", "dkim", "export", "example.org", "ed1")
	r = e.run("", "dkim", "remove", "example.org", "ed1")
	if r.code != 0 || !strings.Contains(r.stderr, "removed the key ed1 of example.org") {
		t.Fatalf("remove: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.run("", "dkim", "export", "example.org", "ed1"); r.code != exitFail {
		t.Fatalf("export of a removed key: exit %d", r.code)
	}
	restore := filepath.Join(e.dataDir, "dkim", "example.org", "ed1.pem")
	if err := os.WriteFile(restore, []byte(backup), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("", "dkim", "export", "example.org", "ed1"); got != backup {
		t.Fatal("a restored key file is not the exported key")
	}
	out := e.ok("", "dns", "example.org")
	for _, want := range []string{"rsa-202601._domainkey.example.org.", "ed1._domainkey.example.org."} {
		if !strings.Contains(out, want) {
			t.Errorf("dns does not list %s:\n%s", want, out)
		}
	}
}
