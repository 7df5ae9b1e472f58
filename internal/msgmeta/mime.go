package msgmeta

import "strings"

// applyMIME fills the MIME fields of pt from its header h. digest tells
// whether pt is a child of a multipart/digest.
func applyMIME(pt *Part, h *header, digest bool) {
	ct, present := h.get("Content-Type")
	switch t, s, params, ok := parseContentType(ct); {
	case ok:
		pt.Type, pt.Subtype, pt.Params = t, s, params
	case !present && digest:
		// RFC 2046 §5.1.5: in a digest, the default is message/rfc822.
		pt.Type, pt.Subtype = "message", "rfc822"
	default:
		// RFC 2045 §5.2: missing or invalid means text/plain; charset=us-ascii.
		pt.Type, pt.Subtype = "text", "plain"
		pt.Params = []Param{{Name: "charset", Value: "us-ascii"}}
	}
	// RFC 2045 §6.1: the default encoding is 7BIT.
	pt.Encoding = "7BIT"
	if v, ok := h.get("Content-Transfer-Encoding"); ok {
		l := lexer{s: v}
		l.skipCFWS()
		if t := l.token(mimeSpecials); t != "" {
			pt.Encoding = clean(t)
		}
	}
	pt.ID = fieldValue(h, "Content-ID")                   // RFC 2045 §7
	pt.Description = fieldValue(h, "Content-Description") // RFC 2045 §8
	pt.MD5 = fieldValue(h, "Content-MD5")                 // RFC 1864
	if v, ok := h.get("Content-Disposition"); ok {
		pt.Disposition, pt.DispParams = parseDisposition(v)
	}
	if v, ok := h.get("Content-Language"); ok {
		pt.Language = parseLanguage(v)
	}
	// RFC 2557 §4.4.1: white space inside a folded URI is not part of it.
	pt.Location = strings.Join(strings.Fields(fieldValue(h, "Content-Location")), "")
}

// fieldValue returns the first field named name, as valid UTF-8.
func fieldValue(h *header, name string) string {
	v, _ := h.get(name)
	return clean(v)
}

// parseContentType parses type "/" subtype *(";" parameter) (RFC 2045 §5.1).
func parseContentType(s string) (typ, sub string, params []Param, ok bool) {
	l := lexer{s: s}
	l.skipCFWS()
	typ = l.token(mimeSpecials)
	l.skipCFWS()
	if typ == "" || l.peek() != '/' {
		return "", "", nil, false
	}
	l.i++
	l.skipCFWS()
	sub = l.token(mimeSpecials)
	if sub == "" {
		return "", "", nil, false
	}
	return clean(typ), clean(sub), parseParams(&l), true
}

// parseDisposition parses disposition-type *(";" parameter) (RFC 2183 §2).
func parseDisposition(s string) (string, []Param) {
	l := lexer{s: s}
	l.skipCFWS()
	d := l.token(mimeSpecials)
	if d == "" {
		return "", nil
	}
	return clean(d), parseParams(&l)
}

// parseLanguage parses a Content-Language list of tags (RFC 3282 §2).
func parseLanguage(s string) []string {
	var tags []string
	l := lexer{s: s}
	for {
		l.skipCFWS()
		if l.eof() {
			return tags
		}
		if t := l.token(","); t != "" {
			tags = append(tags, clean(t))
		} else {
			l.i++ // ',' or a stray quote
		}
	}
}

// maxParams bounds the parameters read from one field (joining them is
// quadratic).
const maxParams = 1000

// parseParams reads *(";" attribute "=" value) (RFC 2045 §5.1), skipping
// what does not parse, and joins RFC 2231 continuations.
func parseParams(l *lexer) []Param {
	var raws []rawParam
	for len(raws) < maxParams {
		l.skipCFWS()
		if l.eof() {
			break
		}
		if l.peek() != ';' { // junk: skip to the next parameter
			i := strings.IndexByte(l.s[l.i:], ';')
			if i < 0 {
				break
			}
			l.i += i
		}
		l.i++
		l.skipCFWS()
		name := l.token(mimeSpecials)
		l.skipCFWS()
		if name == "" || l.peek() != '=' {
			continue
		}
		l.i++
		raws = append(raws, newRawParam(name, paramValue(l)))
	}
	return joinParams(raws)
}

// paramValue reads a token or quoted-string value (RFC 2045 §5.1). Leniently,
// it extends up to the next ';': unquoted values holding tspecials or spaces
// are common (boundary=----=_Part_1, name=my file.pdf).
func paramValue(l *lexer) string {
	l.skipCFWS()
	var sb strings.Builder
	for !l.eof() {
		switch c := l.s[l.i]; {
		case c == ';':
			return sb.String()
		case c == '"':
			sb.WriteString(l.quoted())
		case c == '(':
			l.comment()
		case isWSP(c):
			l.skipWSP()
			if p := l.peek(); sb.Len() > 0 && p != -1 && p != ';' && p != '(' {
				sb.WriteByte(' ')
			}
		default:
			sb.WriteString(l.token(";"))
		}
	}
	return sb.String()
}
