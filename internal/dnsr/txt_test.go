package dnsr

import (
	"strings"
	"testing"
)

func TestUnescapeTXT(t *testing.T) {
	for in, want := range map[string]string{
		`plain`: "plain", `a\"b`: `a"b`, `a\\b`: `a\b`, `\195\169`: "é", `\256`: "256",
		`x\`: `x\`, `\0651`: "A1", `\;`: ";",
	} {
		if got := unescapeTXT(in); got != want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzUnescapeTXT: never panics, never grows the string, and leaves a
// string without backslashes alone.
func FuzzUnescapeTXT(f *testing.F) {
	f.Add(`a\"b\195\169\`)
	f.Fuzz(func(t *testing.T, s string) {
		got := unescapeTXT(s)
		if len(got) > len(s) || (!strings.Contains(s, `\`) && got != s) {
			t.Fatalf("unescapeTXT(%q) = %q", s, got)
		}
	})
}
