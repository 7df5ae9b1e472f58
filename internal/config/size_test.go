package config

import (
	"math"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"1024", 1024},
		{"512KB", 512_000},
		{"50MB", 50_000_000},
		{"2GB", 2_000_000_000},
		{"1TB", 1_000_000_000_000},
		{"10MiB", 10 << 20},
		{"1KiB", 1024},
		{"3GiB", 3 << 30},
		{"2TiB", 2 << 40},
		{"7B", 7},
		{" 50 mb ", 50_000_000},
		{"10mib", 10 << 20},
		{"9223372036854775807", math.MaxInt64},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "want a whole number"},
		{"MB", "want a whole number"},
		{"-5MB", "want a whole number"},
		{"1.5MB", `unknown unit ".5MB"`},
		{"50XB", `unknown unit "XB"`},
		{"50 M B", `unknown unit "M B"`},
		{"9223372036854775808", "number too large"},
		{"9000000000TB", "too large"},
		{"8EiB", `unknown unit "EiB"`},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0"},
		{1, "1"},
		{50 * MB, "50MB"},
		{10 * MiB, "10MiB"},
		{1024, "1KiB"},
		{1500, "1500"},
		{1_024_000, "1000KiB"},
		{-3, "-3"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestSizeText(t *testing.T) {
	var s Size
	if err := s.UnmarshalText([]byte("10MiB")); err != nil || s != 10*MiB {
		t.Fatalf("UnmarshalText = %d, %v", s, err)
	}
	if err := s.UnmarshalText([]byte("ten")); err == nil || s != 10*MiB {
		t.Fatalf("UnmarshalText(ten) = %d, %v; want an error and no change", s, err)
	}
	if b, _ := s.MarshalText(); string(b) != "10MiB" {
		t.Errorf("MarshalText = %q", b)
	}
}

// FuzzParseSize checks that parsing never panics, accepts only
// non-negative sizes and round-trips through String.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "50MB", "10MiB", "512KB", "1024", "1 GiB", "9223372036854775807", "-1", "1.5MB", "8EiB", "18446744073709551616KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d < 0", s, n)
		}
		back, err := ParseSize(n.String())
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, whose String %q parses as %d, %v", s, n, n.String(), back, err)
		}
	})
}
