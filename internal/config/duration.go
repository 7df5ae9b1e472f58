package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string: Go's syntax
// ("90s", "1h30m") plus a leading number of days ("5d", "1d12h").
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration parses a duration (see Duration).
func ParseDuration(s string) (Duration, error) {
	rest := strings.TrimSpace(s)
	days, rest, err := parseDays(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %v", s, err)
	}
	var d time.Duration
	if rest != "" || !strings.Contains(s, "d") {
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("invalid duration %q: want e.g. \"90s\", \"30m\", \"4h\" or \"5d\"", s)
		}
		if days > 0 && d < 0 {
			return 0, fmt.Errorf("invalid duration %q: mixed signs", s)
		}
	}
	if d > math.MaxInt64-days {
		return 0, fmt.Errorf("invalid duration %q: too large", s)
	}
	return Duration(days + d), nil
}

// parseDays splits a leading "<n>d" off s. No Go duration unit contains a
// "d", so the first one ends the day count.
func parseDays(s string) (time.Duration, string, error) {
	i := strings.IndexByte(s, 'd')
	if i < 0 {
		return 0, s, nil
	}
	digits := s[:i]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, "", fmt.Errorf("want a whole number of days before \"d\"")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/int64(day) {
		return 0, "", fmt.Errorf("too large")
	}
	return time.Duration(n) * day, s[i+1:], nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d in Go's syntax without zero minutes and seconds ("4h",
// "1h30m"), or as whole days ("5d"), so that ParseDuration(d.String()) == d.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := td.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}
