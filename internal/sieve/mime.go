package sieve

import (
	"mime"
	"strings"
	"unicode/utf8"
)

// errBreak leaves a foreverypart loop; name is "" for the innermost.
type errBreak struct{ name string }

func (e *errBreak) Error() string { return "break" }

// foreverypart runs its block once per MIME part, the message itself
// first, in document order (RFC 5703 §3).
func (r *run) foreverypart(n *node) error {
	name := n.c.str("name")
	parts := r.msg.Parts()
	start, end := 0, len(parts)
	if r.part >= 0 {
		// Nested: the parts inside the current one.
		start, end = r.part+1, r.part+1
		for end < len(parts) && parts[end].Depth > parts[r.part].Depth {
			end++
		}
	}
	saved := r.part
	defer func() { r.part = saved }()
	for i := start; i < end; i++ {
		r.part = i
		err := r.exec(n.block)
		if b, ok := err.(*errBreak); ok && (b.name == "" || b.name == name) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mimeParts are the parts a :mime test reads: the current part (the
// message outside foreverypart) and with :anychild every part inside it
// (RFC 5703 §4.1).
func (r *run) mimeParts(c *cnode) []int {
	cur := max(r.part, 0)
	out := []int{cur}
	if c.has("anychild") {
		parts := r.msg.Parts()
		for i := cur + 1; i < len(parts) && parts[i].Depth > parts[cur].Depth; i++ {
			out = append(out, i)
		}
	}
	return out
}

// partFields are a part's header fields; the message's own are the ones
// editheader may have changed.
func (r *run) partFields(i int) []Field {
	if i == 0 {
		return r.fields
	}
	return r.msg.Parts()[i].Fields
}

// mimeHeaderValues are header's values for a :mime test, with :type,
// :subtype, :contenttype or :param taking those pieces of a
// Content-Type or Content-Disposition value (RFC 5703 §4.2).
func (r *run) mimeHeaderValues(c *cnode, names []string) []string {
	var out []string
	for _, pi := range r.mimeParts(c) {
		fields := r.partFields(pi)
		for _, name := range names {
			var vals []string
			for _, f := range fields {
				if strings.EqualFold(f.Name, name) {
					vals = append(vals, f.Value)
				}
			}
			for _, v := range pickIndex(vals, c.idx) {
				out = append(out, mimePieces(c, decodeHeader(v))...)
			}
		}
	}
	return out
}

func mimePieces(c *cnode, v string) []string {
	if !c.has("type") && !c.has("subtype") && !c.has("contenttype") && !c.has("param") {
		return []string{v}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return nil
	}
	typ, sub, _ := strings.Cut(mt, "/")
	switch {
	case c.has("type"):
		return []string{typ}
	case c.has("subtype"):
		return []string{sub}
	case c.has("contenttype"):
		return []string{mt}
	}
	var out []string
	for _, p := range c.tags["param"].strs {
		out = append(out, params[strings.ToLower(p)])
	}
	return out
}

// extracttext sets a variable to the text of the current part, its
// first N characters with :first (RFC 5703 §7).
func (r *run) extracttext(n *node) error {
	var text string
	if p := r.msg.Parts()[max(r.part, 0)]; !p.Multipart && strings.HasPrefix(p.ContentType, "text/") {
		text = toUTF8(p.Content, charsetOf(p.Fields))
		if p.ContentType == "text/html" {
			text = htmlText(text)
		}
	}
	if a, ok := n.c.tags["first"]; ok && uint64(utf8.RuneCountInString(text)) > a.num {
		text = string([]rune(text)[:a.num])
	}
	return r.setVar(n, r.expand(n.c.args[0].strs[0]), text)
}
