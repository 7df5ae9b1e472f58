package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMTASTSKeys(t *testing.T) {
	c, errs := Parse(`hostname = "mail.example.org"
[mta_sts]
mode = "enforce"
max_age = "30d"
mx = ["mx1.example.org", "*.mx.example.org"]
[mta_sts.domain_mode]
"example.net" = "off"
[tls_rpt]
rua = "mailto:tls@example.org, https://reports.example.org/tlsrpt"
`)
	if errs != nil {
		t.Fatal(errs)
	}
	m := c.MTASTS
	if m.Mode != "enforce" || time.Duration(m.MaxAge) != 30*24*time.Hour || m.DomainMode["example.net"] != "off" ||
		!slices.Equal(c.MXNames(), []string{"mx1.example.org", "*.mx.example.org"}) || !strings.HasPrefix(c.TLSRPT.RUA, "mailto:") {
		t.Errorf("parsed %+v %+v", m, c.TLSRPT)
	}
	if d := Default(); d.MTASTS.Mode != "testing" || !slices.Equal(d.MXNames(), []string{d.Hostname}) {
		t.Errorf("defaults %+v, mx %v", d.MTASTS, d.MXNames())
	}
	for in, key := range map[string]string{
		"[mta_sts]\nmode = \"strict\"":                           "mta_sts.mode",
		"[mta_sts]\nmax_age = \"0s\"":                            "mta_sts.max_age",
		"[mta_sts]\nmax_age = \"400d\"":                          "mta_sts.max_age",
		"[mta_sts]\nmax_age = \"1500ms\"":                        "mta_sts.max_age",
		"[mta_sts]\nmx = [\"mx.*.example.org\"]":                 "mta_sts.mx[0]",
		"[mta_sts]\nmx = [\"ok.example.org\", \"bad host\"]":     "mta_sts.mx[1]",
		"[mta_sts.domain_mode]\n\"example.net\" = \"sometimes\"": "mta_sts.domain_mode.\"example.net\"",
		"[mta_sts.domain_mode]\n\"not a domain\" = \"enforce\"":  "mta_sts.domain_mode.\"not a domain\"",
		"[tls_rpt]\nrua = \"tls@example.org\"":                   "tls_rpt.rua",
		"[tls_rpt]\nrua = \"mailto:a@example.org, http://x\"":    "tls_rpt.rua",
	} {
		got := parseProblems(t, in)
		if len(got) != 1 || got[0].Key != key {
			t.Errorf("Parse(%q) = %v, want one problem with %s", in, got, key)
		}
	}
}
