package msgmeta

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	zone := func(h, m int) *time.Location { return time.FixedZone("", (h*60+m)*60) }
	tests := []struct {
		in   string
		want time.Time // zero: unparsable
	}{
		{"Mon, 3 Jun 2024 10:00:00 +0200", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(2, 0))},
		{"Mon, 03 Jun 2024 10:00:00 -0730 (PDT)", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(-7, -30))},
		{"3 Jun 2024 10:00 +0000", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Mon,3 Jun 2024 10:00:00 GMT", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Tue, 4 June 2024 23:59:60 EST", time.Date(2024, 6, 4, 23, 59, 59, 0, zone(-5, 0))},
		{"4 Jun 99 01:02:03 PDT", time.Date(1999, 6, 4, 1, 2, 3, 0, zone(-7, 0))},
		{"4 Jun 24 01:02:03 A", time.Date(2024, 6, 4, 1, 2, 3, 0, time.UTC)},
		{"4 Jun 124 01:02:03 +0100", time.Date(2024, 6, 4, 1, 2, 3, 0, zone(1, 0))},
		{"Mon Jun  3 10:00:00 2024", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Mon, 3 Jun 2024 10:00:00 CEST", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Mon, 3 Jun 2024 10:00:00+0200", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(2, 0))},
		{"Mon, 3 Jun 2024 10:00:00 +02:00", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(2, 0))},
		{"03-Jun-2024 10:00:00 +0200", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(2, 0))},
		{"2024-06-03 10:00:00 +0200", time.Date(2024, 6, 3, 10, 0, 0, 0, zone(2, 0))},
		{"2024-06-03T10:00:00Z", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Mon, 3 Jun 2024 10:00:00 PM +0000", time.Date(2024, 6, 3, 22, 0, 0, 0, time.UTC)},
		{"3 Jun 2024", time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)},
		{"Mon, 3 Jun 2024 10:00:00 +9999", time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		{"Fri, 30 Feb 2024 10:00:00 +0000", time.Time{}},
		{"Mon, 3 Jun 2024 25:00:00 +0000", time.Time{}},
		{"3 Jun 10:00:00", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
		{"3 Jun 99999 10:00:00", time.Time{}},
		{"3 Jun 2024 10:00:00:00", time.Time{}},
		{"(only a comment", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		if ok != !tt.want.IsZero() || !sameTime(got, tt.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}
