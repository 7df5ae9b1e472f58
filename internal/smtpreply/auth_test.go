package smtpreply

import (
	"slices"
	"testing"
)

func TestAuthReplies(t *testing.T) {
	tests := []struct {
		r    *Reply
		want string
	}{
		{DMARCRejected("bank.example"), "550 5.7.1 Message rejected: it fails the DMARC policy of bank.example (the From domain)"},
		{SPFTempError("a.example"), "451 4.7.24 SPF check failed temporarily (DMARC policy of a.example); try again later"},
		{DKIMTempError("a.example"), "451 4.7.5 DKIM key lookup failed temporarily (DMARC policy of a.example); try again later"},
		{DMARCTempError("a.example"), "451 4.7.1 DMARC policy lookup for a.example failed temporarily; try again later"},
	}
	for _, tt := range tests {
		if got := tt.r.Lines(); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("Lines = %q, want %q", got, tt.want)
		}
	}
	if !DMARCRejected("x").Permanent() || !DMARCTempError("x").Temporary() {
		t.Error("classes")
	}
}
