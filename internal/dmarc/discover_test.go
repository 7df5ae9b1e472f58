package dmarc_test

import (
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dmarc"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

func TestDiscover(t *testing.T) {
	srv := dnstest.Start(t)
	srv.Add(t,
		`_dmarc.example.org. TXT "v=DMARC1; p=reject; sp=quarantine"`,
		`_dmarc.example.org. TXT "some other text"`,
		`_dmarc.own.example.org. TXT "v=DMARC1; p=none"`,
		`_dmarc.v2.example.org. TXT "v=DMARC2; p=none"`,
		`_dmarc.late.example.org. TXT "p=none; v=DMARC1"`,
		`_dmarc.two.example.org. TXT "v=DMARC1; p=none"`,
		`_dmarc.two.example.org. TXT "v=DMARC1; p=quarantine"`,
		`_dmarc.bad.example.org. TXT "v=DMARC1; p=maybe"`,
		`_dmarc.bad.example.org. TXT "unrelated"`,
		`nodata.example.org. A 192.0.2.1`,
		`_dmarc.example.net. TXT "v=DMARC1; p=none"`,
		`_dmarc.example.net. TXT "v=DMARC1; p=reject"`,
	)
	srv.ServFail("_dmarc.fail.example.org")
	srv.Silent("_dmarc.slow.example.org")
	r := dnsr.New([]string{srv.Addr}, 200*time.Millisecond)
	for _, c := range []struct {
		from, result, domain string
		policy               dmarc.Policy
		reason               string
	}{
		{"example.org", "", "example.org", "reject", ""},
		{"mail.example.org", "", "example.org", "reject", ""},
		{"own.example.org", "", "own.example.org", "none", ""},
		{"v2.example.org", "", "example.org", "reject", ""},
		{"late.example.org", "", "example.org", "reject", ""},
		{"nodata.example.org", "", "example.org", "reject", ""},
		{"two.example.org", "none", "two.example.org", "", "multiple DMARC records"},
		{"bad.example.org", "permerror", "bad.example.org", "", "DMARC record has no valid policy"},
		{"fail.example.org", "temperror", "fail.example.org", "", "DMARC record lookup failed temporarily"},
		{"slow.example.org", "temperror", "slow.example.org", "", "DMARC record lookup failed temporarily"},
		{"nowhere.example", "none", "nowhere.example", "", "no DMARC record"},
		{"sub.nowhere.example", "none", "nowhere.example", "", "no DMARC record"},
		{"x.example.net", "none", "example.net", "", "multiple DMARC records"},
	} {
		d := dmarc.Discover(ctx(t), r, c.from)
		var policy dmarc.Policy
		if d.Record != nil {
			policy = d.Record.Policy
		}
		if d.Result != c.result || d.Domain != c.domain || policy != c.policy || d.Reason != c.reason {
			t.Errorf("%s: got %+v (policy %q)", c.from, d, policy)
		}
	}
}
