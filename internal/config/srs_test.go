package config

import "testing"

func TestSRSKeys(t *testing.T) {
	if d := Default().SRS; !d.Enabled || d.MaxAgeDays != 21 || d.Domain != "" {
		t.Fatalf("defaults %+v", d)
	}
	c, errs := Parse("[srs]\nenabled = false\nmax_age_days = 7\ndomain = \"srs.example.org\"\n")
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if want := (SRS{MaxAgeDays: 7, Domain: "srs.example.org"}); c.SRS != want {
		t.Fatalf("parsed %+v", c.SRS)
	}
	for in, key := range map[string]string{
		"[srs]\nmax_age_days = 0":        "srs.max_age_days",
		"[srs]\nmax_age_days = 1024":     "srs.max_age_days",
		"[srs]\ndomain = \"not a name\"": "srs.domain",
	} {
		if got := parseProblems(t, in); len(got) != 1 || got[0].Key != key {
			t.Errorf("Parse(%q) = %v, want one problem with %s", in, got, key)
		}
	}
}
