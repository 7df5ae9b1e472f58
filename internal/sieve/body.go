package sieve

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// bodyValues are the texts a body test searches (RFC 5173 §5).
func (r *run) bodyValues(n *node) []string {
	c := n.c
	if c.has("raw") {
		return []string{string(r.msg.RawBody())}
	}
	key := "text"
	if a, ok := c.tags["content"]; ok {
		key = "content\x00" + strings.Join(r.expandList(a.strs), "\x00")
	}
	if v, ok := r.bodies[key]; ok {
		return v
	}
	v := r.readBody(c)
	if r.bodies == nil {
		r.bodies = map[string][]string{}
	}
	r.bodies[key] = v
	return v
}

// readBody converts the parts a body test reads to text.
func (r *run) readBody(c *cnode) []string {
	types := []string{"text"}
	if a, ok := c.tags["content"]; ok {
		types = r.expandList(a.strs)
	}
	var out []string
	for _, p := range r.msg.Parts() {
		if p.Multipart || !typeMatches(p.ContentType, types) {
			continue
		}
		text := toUTF8(p.Content, charsetOf(p.Fields))
		if !c.has("content") && p.ContentType == "text/html" {
			text = htmlText(text)
		}
		out = append(out, text)
	}
	return out
}

// typeMatches implements :content's type list: "" is every type, "type"
// a major type and "type/subtype" one type (RFC 5173 §5.2).
func typeMatches(ct string, types []string) bool {
	major, _, _ := strings.Cut(ct, "/")
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || t == ct || (!strings.Contains(t, "/") && t == major) {
			return true
		}
	}
	return false
}

func charsetOf(fields []Field) string {
	ct := fieldValue(fields, "Content-Type")
	if i := strings.Index(strings.ToLower(ct), "charset="); i >= 0 {
		cs := ct[i+len("charset="):]
		if j := strings.IndexAny(cs, "; \t"); j >= 0 {
			cs = cs[:j]
		}
		return strings.ToLower(strings.Trim(cs, `"`))
	}
	return "us-ascii"
}

// toUTF8 converts Latin-1 text; other charsets are taken as UTF-8.
func toUTF8(b []byte, cs string) string {
	if (cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252") && !utf8.Valid(b) {
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs)
	}
	return string(b)
}

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

// htmlText drops the tags of an HTML part (RFC 5173 §5.2 :text).
func htmlText(s string) string { return tagRE.ReplaceAllString(s, " ") }

// dateValues extracts a date part from a header field or the current
// time (RFC 5260 §§4-5).
func (r *run) dateValues(n *node) ([]string, error) {
	c := n.c
	var t time.Time
	var part string
	if n.name == "currentdate" {
		t = r.env.Now.In(r.env.Zone)
		part = r.expand(c.args[0].strs[0])
	} else {
		part = r.expand(c.args[1].strs[0])
		vals := r.rawHeaderValues(r.expand(c.args[0].strs[0]), c.idx)
		if len(vals) == 0 {
			return nil, nil
		}
		v := vals[0]
		if i := strings.LastIndexByte(v, ';'); i >= 0 {
			v = v[i+1:]
		}
		d, err := mail.ParseDate(strings.TrimSpace(v))
		if err != nil {
			return nil, nil
		}
		t = d
		if !c.has("originalzone") {
			t = t.In(r.env.Zone)
		}
	}
	if z, ok := c.tags["zone"]; ok {
		loc, ok := parseZone(r.expand(z.strs[0]))
		if !ok {
			return nil, nil
		}
		t = t.In(loc)
	}
	v, ok := datePart(t, strings.ToLower(part))
	if !ok {
		// An unknown date part matches nothing, as in Pigeonhole.
		return nil, nil
	}
	return []string{v}, nil
}

func parseZone(z string) (*time.Location, bool) {
	var sign, hh, mm int
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	if _, err := fmt.Sscanf(z[1:], "%02d%02d", &hh, &mm); err != nil {
		return nil, false
	}
	sign = 1
	if z[0] == '-' {
		sign = -1
	}
	return time.FixedZone(z, sign*(hh*3600+mm*60)), true
}

func datePart(t time.Time, part string) (string, bool) {
	switch part {
	case "year":
		return fmt.Sprintf("%04d", t.Year()), true
	case "month":
		return fmt.Sprintf("%02d", int(t.Month())), true
	case "day":
		return fmt.Sprintf("%02d", t.Day()), true
	case "date":
		return t.Format("2006-01-02"), true
	case "julian":
		// Modified Julian Day: days since 1858-11-17.
		y, m, d := t.Date()
		days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(1858, 11, 17, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
		return fmt.Sprint(int64(days)), true
	case "hour":
		return fmt.Sprintf("%02d", t.Hour()), true
	case "minute":
		return fmt.Sprintf("%02d", t.Minute()), true
	case "second":
		return fmt.Sprintf("%02d", t.Second()), true
	case "time":
		return t.Format("15:04:05"), true
	case "iso8601":
		// RFC 3339 §5.6 writes a zero offset as "Z".
		return t.Format("2006-01-02T15:04:05Z07:00"), true
	case "std11":
		return t.Format("Mon, 02 Jan 2006 15:04:05 -0700"), true
	case "zone":
		return t.Format("-0700"), true
	case "weekday":
		return fmt.Sprint(int(t.Weekday())), true
	}
	return "", false
}
