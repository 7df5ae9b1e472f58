package msgmeta

import "testing"

func TestWireSize(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want int64
	}{
		{"", 0},
		{"a\r\n", 3},
		{"a\n", 3},             // bare LF -> CRLF
		{"a", 3},               // CRLF added to the last line
		{"a\r", 3},             // trailing CR is half a line ending
		{".\r\n", 3},           // not dot-stuffed (RFC 1939 §11)
		{"..x\n.\n", 5 + 3},    // "..x" CRLF, "." CRLF
		{"x.\r\ny\r\n", 4 + 3}, // a dot inside a line is not stuffed
		{"a\rb\r\n", 5},        // bare CR inside a line is kept
		{"\r\n\r\n", 4},        // empty lines
		{"H: v\r\n\r\n.body", 6 + 2 + 7},
	} {
		if got := WireSize([]byte(tc.raw)); got != tc.want {
			t.Errorf("WireSize(%q) = %d, want %d", tc.raw, got, tc.want)
		}
	}
}

func TestParseSetsWireSize(t *testing.T) {
	raw := []byte("Subject: x\n\n.hidden\nend")
	m := ParseBytes(raw)
	if want := WireSize(raw); m.WireSize != want || want != 12+2+9+5 {
		t.Fatalf("WireSize = %d, want %d", m.WireSize, want)
	}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil || back.WireSize != m.WireSize {
		t.Fatalf("round trip: %d, %v", back.WireSize, err)
	}
}
