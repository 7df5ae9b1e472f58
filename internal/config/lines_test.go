package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Errors found by validation carry the line of their key in the file.
func TestValidationErrorsCarryLines(t *testing.T) {
	data := "hostname = \"mail.example.org\"\n\n[listen]\nsmtp = [\":25\", \"bad\"]\n\n" +
		"[delivery.routes]\n\"example.org\" = \"nonsense host::\"\n\n[storage]\ndriver = \"mysql\"\n"
	_, errs := Parse(data)
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	for _, want := range []string{
		`listen.smtp[1] (line 4): "bad": invalid host:port (missing port in address)`,
		`delivery.routes."example.org" (line 7): "nonsense host::": invalid host:port (too many colons in address)`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	found := false
	for _, err := range errs {
		if e := err.(*Error); e.Key == "storage.driver" {
			found = true
			if e.Line != 10 {
				t.Errorf("storage.driver: line %d, want 10 (%v)", e.Line, e)
			}
		}
	}
	if !found {
		t.Errorf("no storage.driver error in %q", got)
	}
}

// A missing certificate or key file is a validation error of its key.
func TestMissingCertificateFile(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nokey.pem")
	load := func(data string) []error {
		file := filepath.Join(dir, "petrel.toml")
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errs := Load(file)
		return errs
	}
	data := "[tls]\ncert = \"" + cert + "\"\nkey = \"" + missing + "\"\n"
	errs := load(data)
	if len(errs) != 1 {
		t.Fatalf("errors %q, want one about tls.key", errs)
	}
	if e := errs[0].(*Error); e.Key != "tls.key" || e.Line != 3 || e.Msg != `"`+missing+`": no such file` {
		t.Errorf("got %#v", e)
	}
	errs = load("[tls]\ncert = \"" + dir + "\"\nkey = \"" + cert + "\"\n")
	if len(errs) != 1 || errs[0].(*Error).Key != "tls.cert" {
		t.Errorf("a directory as cert: %q", errs)
	}
	if errs := load("[tls]\ncert = \"" + cert + "\"\nkey = \"" + cert + "\"\n"); errs != nil {
		t.Errorf("existing files: %q", errs)
	}
}
