package smtpreply

import (
	"fmt"
	"slices"
	"testing"
)

func TestLines(t *testing.T) {
	r := New(250, Enhanced{2, 0, 0}, "first\nsecond\r\ninjected")
	want := []string{"250-2.0.0 first", "250-2.0.0 second?", "250 2.0.0 injected"}
	if got := r.Lines(); !slices.Equal(got, want) {
		t.Fatalf("Lines = %q, want %q", got, want)
	}
	if got := StartData().Lines(); !slices.Equal(got, []string{"354 Start mail input; end with <CRLF>.<CRLF>"}) {
		t.Fatalf("354 = %q", got)
	}
}

func TestAsAndClass(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", MailboxFull("a@b"))
	r, ok := As(err)
	if !ok || r.Code != 452 || !r.Temporary() || r.Permanent() {
		t.Fatalf("As = %v %v", r, ok)
	}
	if _, ok := As(fmt.Errorf("plain")); ok {
		t.Fatal("plain error is not a reply")
	}
	if !RelayDenied("x@y").Permanent() || !Queued("id").Positive() {
		t.Fatal("classes")
	}
}
