package config

import "testing"

// The keys of inbound mail authentication: smtp.verify_senders,
// dkim.max_verify, dmarc.reject.

func TestAuthDefaults(t *testing.T) {
	c := Default()
	if !c.SMTP.VerifySenders || c.DKIM.MaxVerify != 5 || c.DMARC.Reject != "reject" {
		t.Fatalf("defaults: verify_senders %v, max_verify %d, reject %q", c.SMTP.VerifySenders, c.DKIM.MaxVerify, c.DMARC.Reject)
	}
}

func TestAuthParse(t *testing.T) {
	c, errs := Parse("[smtp]\nverify_senders = false\n[dkim]\nmax_verify = 2\n[dmarc]\nreject = \"quarantine\"\n")
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if c.SMTP.VerifySenders || c.DKIM.MaxVerify != 2 || c.DMARC.Reject != "quarantine" || !c.DKIM.Sign {
		t.Fatalf("parsed %+v %+v %+v", c.SMTP, c.DKIM, c.DMARC)
	}
}

func TestAuthProblems(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"[smtp]\nverify_senders = \"yes\"", Error{"smtp.verify_senders", 2, "want a boolean (true or false); found a string"}},
		{"[dkim]\nmax_verify = \"5\"", Error{"dkim.max_verify", 2, "want an integer; found a string"}},
		{"[dkim]\nmax_verify = 0", Error{"dkim.max_verify", 2, "0: must be greater than zero"}},
		{"[dkim]\nmax_verify = 51", Error{"dkim.max_verify", 2, "51: must be at most 50"}},
		{"[dmarc]\nreject = \"discard\"", Error{"dmarc.reject", 2, `"discard": must be one of ["reject" "quarantine"]`}},
		{"[dmarc]\npolicy = \"reject\"", Error{"dmarc.policy", 2, "unknown key"}},
		{"dmarc = \"reject\"", Error{"dmarc", 1, "want a table; found a value of type string"}},
	}
	for _, tt := range tests {
		got := parseProblems(t, tt.in)
		if len(got) != 1 || *got[0] != tt.want {
			t.Errorf("Parse(%q) = %v, want [%v]", tt.in, got, &tt.want)
		}
	}
}
