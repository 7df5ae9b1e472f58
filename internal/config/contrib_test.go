package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContribConfig: the production sample of README "Installing"
// (contrib/petrel.toml) is a valid configuration with the production
// ports, its certificate paths pointed at files that exist here.
func TestContribConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "contrib", "petrel.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := string(data)
	for _, name := range []string{"fullchain.pem", "privkey.pem"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("-"), 0o600); err != nil {
			t.Fatal(err)
		}
		text = strings.Replace(text, "/etc/petrel/tls/"+name, p, 1)
	}
	c, errs := Parse(text)
	if len(errs) != 0 {
		t.Fatalf("contrib/petrel.toml: %v", errs)
	}
	if c.Hostname != "mail.example.org" || len(c.Listen.SMTP) != 1 || c.Listen.SMTP[0] != ":25" ||
		c.Listen.Submission[0] != ":587" || c.Listen.IMAPS[0] != ":993" || c.Log.Format != "json" {
		t.Errorf("contrib/petrel.toml parsed as %+v", c)
	}
}
