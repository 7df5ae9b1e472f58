package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"5m", 5 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"90s", 90 * time.Second},
		{"5d", 120 * time.Hour},
		{"0d", 0},
		{"1d12h", 36 * time.Hour},
		{"-5m", -5 * time.Minute},
		{" 4h ", 4 * time.Hour},
		{"106751d", 106751 * 24 * time.Hour},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "want e.g."},
		{"300", "want e.g."},
		{"soon", "want e.g."},
		{"d", "whole number of days"},
		{"1.5d", "whole number of days"},
		{"-1d", "whole number of days"},
		{"+1d", "whole number of days"},
		{"1d-1h", "mixed signs"},
		{"1d 1h", "want e.g."},
		{"106752d", "too large"},
		{"106751d24h", "too large"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{5 * time.Minute, "5m"},
		{4 * time.Hour, "4h"},
		{90 * time.Minute, "1h30m"},
		{90 * time.Second, "1m30s"},
		{120 * time.Hour, "5d"},
		{36 * time.Hour, "36h"},
		{1500 * time.Millisecond, "1.5s"},
		{-time.Hour, "-1h"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseDuration(tt.want); err != nil || back.D() != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
		}
	}
}

// FuzzParseDuration checks that parsing never panics and round-trips
// through String.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5m", "1h30m", "5d", "1d12h", "0d", "-5m", "106751d", "1.5h", "d", "1d-1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, whose String %q parses as %v, %v", s, d.D(), d.String(), back.D(), err)
		}
	})
}
