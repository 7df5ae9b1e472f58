package config

import "testing"

func TestDKIMSignDefault(t *testing.T) {
	if !Default().DKIM.Sign {
		t.Fatal("dkim.sign defaults to false, want true")
	}
	c, errs := Parse("[dkim]\n")
	if errs != nil || !c.DKIM.Sign {
		t.Fatalf("Parse([dkim]) = %+v, %v; want sign = true", c, errs)
	}
}

func TestDKIMSignOff(t *testing.T) {
	c, errs := Parse("[dkim]\nsign = false\n")
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if c.DKIM.Sign {
		t.Error("sign = false left signing on")
	}
}

func TestDKIMSignStrict(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"[dkim]\nsign = \"no\"", Error{"dkim.sign", 2, "want a boolean (true or false); found a string"}},
		{"[dkim]\nsign = 0", Error{"dkim.sign", 2, "want a boolean (true or false); found an integer"}},
		{"[dkim]\nsigning = false", Error{"dkim.signing", 2, "unknown key"}},
		{"dkim = true", Error{"dkim", 1, "want a table; found a value of type bool"}},
	}
	for _, tt := range tests {
		got := parseProblems(t, tt.in)
		if len(got) != 1 || *got[0] != tt.want {
			t.Errorf("Parse(%q) = %v, want [%v]", tt.in, got, &tt.want)
		}
	}
}
