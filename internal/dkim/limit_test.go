package dkim

import (
	"errors"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/header"
)

// The signer reads the header as submission checks it: a header that does
// not end within header.MaxSection, or with a line that is no field, is
// an error (delivery's 451 4.3.0), never a signature for a From domain
// the check did not see.
func TestSignRefusesWhatSubmissionCannotCheck(t *testing.T) {
	dir := newKeys()
	for _, d := range []string{"example.org", "catch.example"} {
		if _, err := Generate(ctxb, dir, d, "s", Ed25519, testNow); err != nil {
			t.Fatal(err)
		}
	}
	var pad strings.Builder
	for pad.Len() < header.MaxSection {
		pad.WriteString("X-Pad: " + strings.Repeat("a", 90) + "\r\n")
	}
	for name, tc := range map[string]struct {
		header string
		want   error
	}{
		"second From past the limit": {"From: a@example.org\r\n" + pad.String() + "From: ceo@catch.example\r\n", header.ErrTooLarge},
		"From folded past the limit": {pad.String()[:header.MaxSection-100] + "From: a@example.org,\r\n" +
			strings.Repeat(" \r\n", 50) + " ceo@catch.example\r\n", header.ErrTooLarge},
		"NUL in a name": {"From: a@example.org\r\nFrom\x00: ceo@catch.example\r\n", errMalformed},
	} {
		sig, err := NewSigner(dir, discardLogger()).Sign(ctxb, strings.NewReader(tc.header+"\r\nbody\r\n"))
		if !errors.Is(err, tc.want) || sig != "" {
			t.Errorf("%s: signature %q, error %v; want %v", name, sig, err, tc.want)
		}
	}
}
