package store

import "testing"

func TestCanonicalRights(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "l": "l", "rl": "lr", "aetxkpiwsrl": "lrswipkxtea", "llrr": "lr", "ial": "lia",
	} {
		if got, err := CanonicalRights(in); err != nil || got != want {
			t.Errorf("CanonicalRights(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// RFC 4314 §2.1.1's obsolete c and d are not rights to store.
	for _, bad := range []string{"c", "d", "lrz", "L", " ", "l r", "é"} {
		if _, err := CanonicalRights(bad); !IsKind(err, KindInvalid) {
			t.Errorf("CanonicalRights(%q): %v, want KindInvalid", bad, err)
		}
	}
}
