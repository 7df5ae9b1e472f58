package testkit

import (
	"strings"
	"testing"
)

// Ref returns the reference in a reply text "... (ref X)": the servers
// answer a storage failure with one, and log it next to the cause.
func Ref(t testing.TB, text string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, "(ref ")
	ref, _, ok2 := strings.Cut(after, ")")
	if !ok || !ok2 || ref == "" {
		t.Fatalf("no reference in %q", text)
	}
	return ref
}
