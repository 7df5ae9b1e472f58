package sieve

import (
	"strings"
	"time"
)

// protectedFields may be neither added nor deleted (RFC 5293 §9: trace
// fields; the Auto-Submitted loop guard of RFC 3834).
func protectedField(name string) bool {
	return strings.EqualFold(name, "Received") || strings.EqualFold(name, "Auto-Submitted")
}

func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= 32 || c >= 127 || c == ':' {
			return false
		}
	}
	return true
}

// editHeader runs addheader and deleteheader (RFC 5293 §§4-5); later
// tests see the changed header.
func (r *run) editHeader(n *node) error {
	c := n.c
	name := r.expand(c.args[0].strs[0])
	if !validFieldName(name) {
		return r.fail(n.pos, "bad header field name %q", name)
	}
	if protectedField(name) {
		return nil
	}
	if n.name == "addheader" {
		f := Field{Name: name, Value: r.expand(c.args[1].strs[0])}
		if c.has("last") {
			r.fields = append(append([]Field(nil), r.fields...), f)
		} else {
			r.fields = append([]Field{f}, r.fields...)
		}
		r.edited = true
		return nil
	}
	var patterns []string
	if len(c.args[1].strs) > 0 {
		patterns = r.expandList(c.args[1].strs)
	}
	// Occurrences are counted before any is deleted (RFC 5293 §5).
	var total int
	for _, f := range r.fields {
		if strings.EqualFold(f.Name, name) {
			total++
		}
	}
	want := c.idx
	if want < 0 {
		want = total + want + 1
	}
	var out []Field
	seen := 0
	for _, f := range r.fields {
		if !strings.EqualFold(f.Name, name) {
			out = append(out, f)
			continue
		}
		seen++
		del := want == 0 || seen == want
		if del && patterns != nil {
			ok, err := r.match(n, []string{decodeHeader(f.Value)}, patterns)
			if err != nil {
				return err
			}
			del = ok
		}
		if !del {
			out = append(out, f)
		} else {
			r.edited = true
		}
	}
	r.fields = out
	return nil
}

// duplicate tests whether the message's id was seen within the period
// and asks the caller to record it (RFC 7352 §3).
func (r *run) duplicate(n *node) bool {
	c := n.c
	id := ""
	switch {
	case c.has("uniqueid"):
		id = r.expand(c.str("uniqueid"))
	case c.has("header"):
		if v := r.headerValues(r.expand(c.str("header")), 0); len(v) > 0 {
			id = v[0]
		}
	default:
		if v := r.headerValues("Message-ID", 0); len(v) > 0 {
			id = v[0]
		}
	}
	if id == "" {
		return false
	}
	period := 14 * 24 * time.Hour
	if a, ok := c.tags["seconds"]; ok {
		period = time.Duration(a.num) * time.Second
	}
	key := r.expand(c.str("handle")) + "\x00" + id
	r.dups = append(r.dups, DuplicateMark{Key: key, Period: period})
	return r.env.Duplicates != nil && r.env.Duplicates.Seen(key)
}
