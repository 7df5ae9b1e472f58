package msgmeta

import (
	"strconv"
	"strings"
)

// rawParam is one parameter as written, its name split per RFC 2231.
type rawParam struct {
	name    string // lower-cased, without the RFC 2231 "*n" and "*"
	section int    // RFC 2231 §3 continuation number; -1 when none
	ext     bool   // RFC 2231 §4 extended value: charset'language'%XX
	value   string
}

func newRawParam(name, value string) rawParam {
	p := rawParam{name: strings.ToLower(name), section: -1, value: value}
	if n, ok := strings.CutSuffix(p.name, "*"); ok && n != "" {
		p.name, p.ext = n, true
	}
	if i := strings.LastIndexByte(p.name, '*'); i > 0 {
		if n, ok := sectionNumber(p.name[i+1:]); ok {
			p.name, p.section = p.name[:i], n
		}
	}
	return p
}

// sectionNumber parses the decimal number of a continuation.
func sectionNumber(s string) (int, bool) {
	if s == "" || len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// joinParams turns the raw parameters into Params: one per name, in the
// order names first appear; an RFC 2231 value wins over a plain one (RFC
// 2231 §4 lets a sender give both), and the first of duplicates wins.
func joinParams(raws []rawParam) []Param {
	var out []Param
	for i, r := range raws {
		if seenBefore(raws[:i], r.name) {
			continue
		}
		if p, ok := join2231(r.name, raws[i:]); ok {
			out = append(out, p)
			continue
		}
		for _, q := range raws[i:] {
			if q.name == r.name && q.section < 0 && !q.ext {
				out = append(out, Param{Name: clean(q.name), Value: clean(q.value)})
				break
			}
		}
	}
	return out
}

func seenBefore(raws []rawParam, name string) bool {
	for _, r := range raws {
		if r.name == name {
			return true
		}
	}
	return false
}

// segments returns the RFC 2231 pieces of name in order: the single
// "name*" value, or the continuations "name*0", "name*1"... up to the first
// missing number (RFC 2231 §3).
func segments(name string, raws []rawParam) []rawParam {
	bySection := map[int]rawParam{}
	for _, r := range raws {
		if r.name != name {
			continue
		}
		if r.section < 0 && r.ext {
			return []rawParam{r}
		}
		if _, dup := bySection[r.section]; r.section >= 0 && !dup {
			bySection[r.section] = r
		}
	}
	var segs []rawParam
	for n := 0; ; n++ {
		r, ok := bySection[n]
		if !ok {
			return segs
		}
		segs = append(segs, r)
	}
}

// join2231 joins the RFC 2231 pieces of name and decodes the result from
// its charset. When the charset is unknown, the value is kept encoded under
// "name*", as the client would have to decode it.
func join2231(name string, raws []rawParam) (Param, bool) {
	segs := segments(name, raws)
	if len(segs) == 0 {
		return Param{}, false
	}
	var cs, lang string
	var raw []byte
	var enc strings.Builder
	anyExt := false
	for i, s := range segs {
		v := s.value
		if i == 0 && s.ext {
			// RFC 2231 §4: only the first piece carries charset'language'.
			cs, lang, v = splitExtended(v)
		}
		if s.ext {
			anyExt = true
			raw = append(raw, percentDecode(v)...)
			enc.WriteString(v)
		} else {
			raw = append(raw, v...)
			enc.WriteString(percentEncode(v))
		}
	}
	if !anyExt {
		return Param{Name: clean(name), Value: clean(string(raw))}, true
	}
	if text, ok := convertCharset(cs, raw); ok {
		return Param{Name: clean(name), Value: clean(text)}, true
	}
	return Param{Name: clean(name) + "*", Value: clean(cs + "'" + lang + "'" + enc.String())}, true
}

// splitExtended splits charset'language'value; without the two quotes the
// whole is the value.
func splitExtended(v string) (cs, lang, rest string) {
	cs, after, ok := strings.Cut(v, "'")
	if !ok {
		return "", "", v
	}
	lang, rest, ok = strings.Cut(after, "'")
	if !ok {
		return "", "", v
	}
	return cs, lang, rest
}

// percentEncode encodes what is not an RFC 2231 attribute-char.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("*'%"+mimeSpecials, c) >= 0 {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
