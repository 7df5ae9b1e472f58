package dnsplan

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
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
	ring, err := dkim.Load(filepath.Join("testdata", "dkim"))
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
