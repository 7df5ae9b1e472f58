package mutf7

import (
	"testing"
	"unicode/utf8"
)

func TestRoundTrip(t *testing.T) {
	for utf, enc := range map[string]string{"INBOX": "INBOX", "Entwürfe": "Entw&APw-rfe", "a&b": "a&-b", "日本語": "&ZeVnLIqe-"} {
		if got := Encode(utf); got != enc {
			t.Errorf("Encode(%q) = %q, want %q", utf, got, enc)
		}
		if got, ok := Decode(enc); !ok || got != utf {
			t.Errorf("Decode(%q) = %q %v, want %q", enc, got, ok, utf)
		}
	}
	for _, bad := range []string{"&Jjo!", "a&", "ü", "&AGE-"} {
		if _, ok := Decode(bad); ok {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

// FuzzRoundTrip: every valid UTF-8 name without control characters
// decodes back from its encoding.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Entwürfe/日本語 & more")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got, ok := Decode(Encode(s))
		if !ok || got != s {
			t.Fatalf("%q -> %q -> %q %v", s, Encode(s), got, ok)
		}
	})
}
