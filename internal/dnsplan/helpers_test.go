package dnsplan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// testListen is the listen configuration of the tests: SMTP on a public
// address, IMAP and POP3 without STARTTLS off, POP3S on a port behind NAT.
var testListen = config.Listen{
	SMTP:        []string{"192.0.2.10:25"},
	Submission:  []string{":587"},
	Submissions: []string{"0.0.0.0:465"},
	IMAPS:       []string{"[::]:993"},
	POP3S:       []string{"[2001:db8::10]:2995"},
}

// hostRecords are the addresses mail.example.org has in DNS before any
// record of the plan is published.
var hostRecords = []string{"mail.example.org. A 192.0.2.10", "mail.example.org. AAAA 2001:db8::10"}

// fixtureDKIM are the records of the two fixture keys of example.org in
// testdata/dkim (an Ed25519 key made after the RSA one), newest first.
func fixtureDKIM(t *testing.T) []DKIMRecord {
	t.Helper()
	// The key files are imported into a store (which renames them):
	// copies of them.
	dir := t.TempDir()
	src := filepath.Join("testdata", "dkim", "example.org")
	if err := os.MkdirAll(filepath.Join(dir, "example.org"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rsa-202601.pem", "ed-202603.pem"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "example.org", name), data, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := dkim.Import(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	ring, err := dkim.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var out []DKIMRecord
	for _, k := range ring.Keys("example.org") {
		out = append(out, DKIMRecord{Name: k.RecordName(), TXT: k.TXT()})
	}
	if len(out) != 2 {
		t.Fatalf("%d fixture keys, want 2", len(out))
	}
	return out
}

// resolver asks the test DNS server srv.
func resolver(srv *dnstest.Server) Lookup { return dnsr.NewClient([]string{srv.Addr}, 5*time.Second) }

// newPlan is the plan of example.org (or domain) for mail.example.org
// with listen, asking srv.
func newPlan(t *testing.T, srv *dnstest.Server, domain string, listen config.Listen, keys []DKIMRecord) *Plan {
	t.Helper()
	return New(context.Background(), Server{Hostname: "mail.example.org", Listen: listen}, domain, resolver(srv), keys)
}
