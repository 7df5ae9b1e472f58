package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a number of bytes. In TOML it is an integer or a string such as
// "50MB", "10MiB", "512KB" or "1024": KB, MB, GB and TB are powers of 1000,
// KiB, MiB, GiB and TiB powers of 1024. Units are case-insensitive.
type Size int64

// Size units.
const (
	B   Size = 1
	KB  Size = 1000
	MB       = 1000 * KB
	GB       = 1000 * MB
	TB       = 1000 * GB
	KiB Size = 1024
	MiB      = 1024 * KiB
	GiB      = 1024 * MiB
	TiB      = 1024 * GiB
)

// sizeUnit pairs a unit's name with its value, largest first.
type sizeUnit struct {
	name string
	size Size
}

func sizeUnits() []sizeUnit {
	return []sizeUnit{
		{"TiB", TiB}, {"TB", TB}, {"GiB", GiB}, {"GB", GB},
		{"MiB", MiB}, {"MB", MB}, {"KiB", KiB}, {"KB", KB},
	}
}

// ParseSize parses a size such as "50MB" (see Size).
func ParseSize(s string) (Size, error) {
	text := strings.TrimSpace(s)
	digits := len(text) - len(strings.TrimLeft(text, "0123456789"))
	if digits == 0 {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes with an optional unit such as MB or MiB", s)
	}
	n, err := strconv.ParseInt(text[:digits], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: number too large", s)
	}
	unit, ok := unitSize(strings.TrimSpace(text[digits:]))
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, strings.TrimSpace(text[digits:]))
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return Size(n) * unit, nil
}

func unitSize(name string) (Size, bool) {
	if name == "" || strings.EqualFold(name, "B") {
		return B, true
	}
	for _, u := range sizeUnits() {
		if strings.EqualFold(name, u.name) {
			return u.size, true
		}
	}
	return 0, false
}

// String formats s with the largest unit that divides it exactly, so that
// ParseSize(s.String()) == s.
func (s Size) String() string {
	if s > 0 {
		for _, u := range sizeUnits() {
			if s%u.size == 0 {
				return strconv.FormatInt(int64(s/u.size), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(text []byte) error {
	v, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}
