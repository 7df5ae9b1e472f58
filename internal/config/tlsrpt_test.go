package config

import "testing"

func TestTLSRPTKeys(t *testing.T) {
	if d := Default().TLSRPT; !d.Enabled || d.From != "" {
		t.Fatalf("defaults %+v", d)
	}
	c, errs := Parse("[tls_rpt]\nenabled = false\nfrom = \"reports@example.org\"\norganization = \"Example\"\ncontact = \"https://example.org/tls\"\n")
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if want := (TLSRPT{From: "reports@example.org", Organization: "Example", Contact: "https://example.org/tls"}); c.TLSRPT != want {
		t.Fatalf("parsed %+v", c.TLSRPT)
	}
	tests := []struct {
		in   string
		want Error
	}{
		{"[tls_rpt]\nfrom = \"not an address\"", Error{"tls_rpt.from", 2, `"not an address" is not a valid ASCII address`}},
		{"[tls_rpt]\ncontact = \"a\\nb\"", Error{"tls_rpt.contact", 2, "must not contain control characters"}},
		{"[tls_rpt]\nrua_send = true", Error{"tls_rpt.rua_send", 2, "unknown key"}},
	}
	for _, tt := range tests {
		got := parseProblems(t, tt.in)
		if len(got) != 1 || *got[0] != tt.want {
			t.Errorf("Parse(%q) = %v, want [%v]", tt.in, got, &tt.want)
		}
	}
}
