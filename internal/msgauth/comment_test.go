package msgauth

import "testing"

// TestCommentText: parentheses and backslashes escaped, controls left
// out, plain text returned as it is (RFC 5322 §3.2.2).
func TestCommentText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":        "plain text",
		`a(b)c\d`:           `a\(b\)c\\d`,
		"x)\r\nInjected: 1": `x\)Injected: 1`,
		"ünï(cödé)":         `ünï\(cödé\)`,
	} {
		if got := commentText(in); got != want {
			t.Errorf("commentText(%q) = %q, want %q", in, got, want)
		}
	}
}
