package config

import (
	"testing"
	"time"
)

func TestAntispamKeys(t *testing.T) {
	c, errs := Parse(`hostname = "mail.example.org"
[antispam]
pregreet_wait = "3s"
dnsbl = ["zen.example.org=127.0.0.[2..11]*2", "bl.example.net"]
dnswl = ["list.example.org=127.0.[0..255].[1..3]"]
dnsbl_threshold = 2
message_rate = 30
[antispam.greylist]
enabled = true
delay = "2m"
exempt_domains = ["example.com", ".partner.example", "*"]
`)
	if errs != nil {
		t.Fatal(errs)
	}
	a := c.Antispam
	bl, wl := a.Lists()
	if !a.Screening() || len(bl) != 2 || bl[0].Weight != 2 || bl[0].String() != "zen.example.org=127.0.0.[2..11]*2" ||
		len(wl) != 1 || wl[0].Zone != "list.example.org" || a.DNSBLThreshold != 2 || a.MessageRate != 30 ||
		!a.Greylist.Enabled || time.Duration(a.Greylist.Delay) != 2*time.Minute || len(a.Greylist.ExemptDomains) != 3 {
		t.Errorf("parsed %+v", a)
	}
	if d := Default(); d.Antispam.Screening() || d.Antispam.Greylist.Enabled {
		t.Errorf("screening on by default: %+v", d.Antispam)
	}
	for in, key := range map[string]string{
		"[antispam]\npregreet_wait = \"2m\"":                   "antispam.pregreet_wait",
		"[antispam]\ndnsbl = [\"ok.example\", \"bl*0\"]":       "antispam.dnsbl[1]",
		"[antispam]\ndnsbl = [\"bl.example=127.0.0\"]":         "antispam.dnsbl[0]",
		"[antispam]\ndnswl = [\"wl.example*2\"]":               "antispam.dnswl[0]",
		"[antispam]\ndnsbl_threshold = 0":                      "antispam.dnsbl_threshold",
		"[antispam]\ndns_timeout = \"0s\"":                     "antispam.dns_timeout",
		"[antispam]\nrecipient_rate = -1":                      "antispam.recipient_rate",
		"[antispam.greylist]\ndelay = \"0s\"":                  "antispam.greylist.delay",
		"[antispam.greylist]\nexpiry = \"1d\"":                 "antispam.greylist.expiry",
		"[antispam.greylist]\nexempt_domains = [\"a b\"]":      "antispam.greylist.exempt_domains[0]",
		"[antispam.greylist]\nexempt_domains = [\"*.ex.org\"]": "antispam.greylist.exempt_domains[0]",
	} {
		got := parseProblems(t, in)
		if len(got) != 1 || got[0].Key != key {
			t.Errorf("Parse(%q) = %v, want one problem with %s", in, got, key)
		}
	}
}
