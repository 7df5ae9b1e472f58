package msgmeta

import (
	"strconv"
	"strings"
	"time"
)

// maxDateLen bounds the length of a Date field worth parsing.
const maxDateLen = 1000

// dateParts collects the pieces of a date as they are recognised.
type dateParts struct {
	nums             []string // numbers other than the time: day and year
	month            int      // 1-12, 0 when not seen
	hour, min, sec   int
	zone             int // seconds east of UTC
	numericZone      bool
	pm, am, timeSeen bool
}

// parseDate parses an RFC 5322 §3.3 date-time leniently: the day of week is
// optional and ignored, comments are skipped, the order of day, month and
// year is free (asctime's "Jun 3 10:00:00 2024" too), seconds, time and zone
// may be missing (zone then -0000, i.e. UTC). RFC 5322 §4.3 obsolete forms:
// two-digit years (< 50 is 20xx), three-digit years (+1900), alphabetic
// zones (UT, GMT, EST...; military letters count as -0000). ISO 8601 dates
// (2024-06-03T10:00:00Z) are accepted too.
func parseDate(s string) (time.Time, bool) {
	if len(s) > maxDateLen {
		return time.Time{}, false
	}
	s = stripComments(s)
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
		return checkYear(t)
	}
	var d dateParts
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
		if !d.token(tok) {
			return time.Time{}, false
		}
	}
	return d.time()
}

// stripComments removes comments: "+0200 (CEST)" is "+0200".
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	l := lexer{s: s}
	var sb strings.Builder
	for !l.eof() {
		if l.s[l.i] == '(' {
			l.comment()
			sb.WriteByte(' ')
			continue
		}
		sb.WriteByte(l.s[l.i])
		l.i++
	}
	return sb.String()
}

// token records one word of a date; it reports false for one that cannot
// be part of a date.
func (d *dateParts) token(tok string) bool {
	switch c := tok[0]; {
	case c == '+' || c == '-':
		return d.numZone(tok[1:], c == '-')
	case strings.IndexByte(tok, ':') >= 0:
		return d.clock(tok)
	case c >= '0' && c <= '9':
		if y, m, dd, ok := isoDate(tok); ok {
			d.nums, d.month = append(d.nums, dd, y), m
			return true
		}
		if strings.ContainsAny(tok, "-/") { // 3-Jun-2024
			return d.subTokens(tok)
		}
		if strings.Trim(tok, "0123456789") != "" {
			return false
		}
		d.nums = append(d.nums, tok)
		return true
	}
	if strings.ContainsAny(tok, "-/") { // Jun-3-2024
		return d.subTokens(tok)
	}
	return d.word(strings.ToLower(tok))
}

func (d *dateParts) subTokens(tok string) bool {
	for _, t := range strings.FieldsFunc(tok, func(r rune) bool { return r == '-' || r == '/' }) {
		if !d.token(t) {
			return false
		}
	}
	return true
}

// isoDate recognises YYYY-MM-DD, returning the day and year as numbers.
func isoDate(tok string) (y string, m int, dd string, ok bool) {
	parts := strings.Split(tok, "-")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return "", 0, "", false
	}
	m, err := strconv.Atoi(parts[1])
	if err != nil || m < 1 || m > 12 || strings.Trim(parts[0]+parts[2], "0123456789") != "" {
		return "", 0, "", false
	}
	return parts[0], m, parts[2], true
}

// word handles an alphabetic token: month, day name, zone or AM/PM.
func (d *dateParts) word(w string) bool {
	const months = "janfebmaraprmayjunjulaugsepoctnovdec"
	if len(w) >= 3 {
		if i := strings.Index(months, w[:3]); i >= 0 && i%3 == 0 {
			d.month = i/3 + 1
			return true
		}
	}
	switch w {
	case "am":
		d.am = true
	case "pm":
		d.pm = true
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday",
		"wednesday", "thursday", "friday", "saturday", "sunday", "thur", "thurs", "tues":
	default:
		if off, ok := zoneName(w); ok && !d.numericZone {
			d.zone = off
		}
	}
	return true
}

// zoneName returns the offset of an RFC 5322 §4.3 obs-zone.
func zoneName(w string) (int, bool) {
	const h = 3600
	switch w {
	case "ut", "utc", "gmt", "z":
		return 0, true
	case "edt":
		return -4 * h, true
	case "est", "cdt":
		return -5 * h, true
	case "cst", "mdt":
		return -6 * h, true
	case "mst", "pdt":
		return -7 * h, true
	case "pst":
		return -8 * h, true
	}
	// Military zones: "SHOULD all be considered equivalent to -0000".
	return 0, len(w) == 1
}

// numZone parses the digits of a numeric zone: hhmm, hh:mm or hh.
func (d *dateParts) numZone(digits string, neg bool) bool {
	digits = strings.Replace(digits, ":", "", 1)
	if (len(digits) != 4 && len(digits) != 2) || strings.Trim(digits, "0123456789") != "" {
		return len(digits) == 0
	}
	hh, _ := strconv.Atoi(digits[:2])
	mm := 0
	if len(digits) == 4 {
		mm, _ = strconv.Atoi(digits[2:])
	}
	if hh > 23 || mm > 59 { // not representable; treat as -0000
		hh, mm = 0, 0
	}
	d.zone = (hh*60 + mm) * 60
	if neg {
		d.zone = -d.zone
	}
	d.numericZone = true
	return true
}

// clock parses hh:mm[:ss], possibly with a zone stuck to it.
func (d *dateParts) clock(tok string) bool {
	if i := strings.IndexAny(tok, "+-"); i > 0 {
		if !d.numZone(tok[i+1:], tok[i] == '-') {
			return false
		}
		tok = tok[:i]
	}
	parts := strings.Split(tok, ":")
	if len(parts) < 2 || len(parts) > 3 || d.timeSeen {
		return false
	}
	vals := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 2 {
			return false
		}
		vals[i] = n
	}
	d.hour, d.min, d.sec, d.timeSeen = vals[0], vals[1], vals[2], true
	return true
}

// time assembles and checks the date.
func (d *dateParts) time() (time.Time, bool) {
	if d.month == 0 || len(d.nums) < 2 {
		return time.Time{}, false
	}
	day, year := d.nums[0], d.nums[1]
	if len(day) > 2 { // year first
		day, year = year, day
	}
	dd, _ := strconv.Atoi(day)
	y, err := strconv.Atoi(year)
	if err != nil || len(day) > 2 {
		return time.Time{}, false
	}
	switch {
	case len(year) <= 2 && y < 50: // RFC 5322 §4.3
		y += 2000
	case len(year) <= 3:
		y += 1900
	}
	if d.pm && d.hour < 12 {
		d.hour += 12
	} else if d.am && d.hour == 12 {
		d.hour = 0
	}
	if d.sec == 60 { // leap second
		d.sec = 59
	}
	if dd < 1 || dd > daysIn(d.month, y) || d.hour > 23 || d.min > 59 || d.sec > 59 {
		return time.Time{}, false
	}
	loc := time.UTC
	if d.zone != 0 {
		loc = time.FixedZone("", d.zone)
	}
	return checkYear(time.Date(y, time.Month(d.month), dd, d.hour, d.min, d.sec, 0, loc))
}

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// checkYear keeps years that encoding/json can write.
func checkYear(t time.Time) (time.Time, bool) {
	if y := t.UTC().Year(); y < 1 || y > 9999 || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}
