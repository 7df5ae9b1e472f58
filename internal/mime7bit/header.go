package mime7bit

import (
	"bytes"
	"mime"
	"strings"

	hdr "github.com/petrelmail/petrel/internal/header"
)

// header is what a header section says about its body.
type header struct {
	ctype, cte  []byte // the first Content-Type and Content-Transfer-Encoding fields, unfolded
	haveCT      bool
	haveCTE     bool
	long        bool // one of them was over maxField
	mimeVersion bool

	mediaType string // set by kind
	boundary  string
}

// field notes the field that starts with line and returns where to keep
// it (nil: not kept), and whether it is a Content-Transfer-Encoding field.
func (h *header) field(line []byte) (keep *[]byte, isCTE bool) {
	name, ok := hdr.Name(line) // the one reading of a field (package header)
	if !ok {
		return nil, false
	}
	switch {
	case bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
		if h.haveCTE {
			return nil, true
		}
		h.haveCTE = true
		return &h.cte, true
	case bytes.EqualFold(name, []byte("Content-Type")):
		if h.haveCT {
			return nil, false
		}
		h.haveCT = true
		return &h.ctype, false
	case bytes.EqualFold(name, []byte("MIME-Version")):
		h.mimeVersion = true
	}
	return nil, false
}

// keep appends a piece of a kept field, up to maxField.
func (h *header) keep(f *[]byte, text []byte) {
	if len(*f)+len(text) > maxField {
		h.long = true
		return
	}
	*f = append(*f, text...)
}

type entityKind int

const (
	opaqueKind    entityKind = iota // copied; 8-bit octets are an error
	leafKind                        // converted when 8-bit
	multipartKind                   // walked part by part
	messageKind                     // the message inside is walked
)

// kind says how to treat the body, and for an opaque one the error that
// 8-bit octets in it are. Under NoNUL a part declared binary is a leaf
// too (it may hold NUL, which base64 takes away) and the encoding field
// is read leniently; otherwise (the outbound conversions) as before.
func (h *header) kind(defType string, depth int, need Need) (entityKind, error) {
	if h.long || depth >= maxDepth {
		return opaqueKind, ErrLimit
	}
	h.mediaType = defType
	var params map[string]string
	if h.haveCT {
		// RFC 2045 §5.2: a field that cannot be parsed means text/plain.
		h.mediaType = "text/plain"
		if t, ps, _ := mime.ParseMediaType(fieldValue(h.ctype)); t != "" {
			h.mediaType, params = t, ps
		}
	}
	cte := encoding(h.cte)
	if need&NoNUL != 0 {
		cte = lenientEncoding(h.cte)
	}
	identity := cte == "" || cte == "7bit" || cte == "8bit" || cte == "binary"
	switch mt := h.mediaType; {
	case strings.HasPrefix(mt, "multipart/"):
		// RFC 2045 §6.4: a composite body is never encoded.
		h.boundary = params["boundary"]
		if !identity || h.boundary == "" {
			return opaqueKind, ErrUnencodable
		}
		return multipartKind, nil
	case mt == "message/rfc822":
		if !identity {
			return opaqueKind, ErrUnencodable
		}
		return messageKind, nil
	case mt == "message/partial" || mt == "message/external-body":
		return opaqueKind, ErrUnencodable // RFC 2046 §5.2.2.1, §5.2.3.1
	}
	switch cte {
	case "", "7bit", "8bit":
		return leafKind, nil
	case "binary":
		if need&NoNUL != 0 {
			return leafKind, nil
		}
		return opaqueKind, ErrBinary
	}
	return opaqueKind, ErrUnencodable
}

// fieldValue is what follows the field name's colon.
func fieldValue(f []byte) string {
	_, v, _ := bytes.Cut(f, []byte(":"))
	return string(v)
}

// encoding is the mechanism named by a Content-Transfer-Encoding field,
// lower case, without comments (RFC 2045 §6.1).
func encoding(f []byte) string {
	v := strings.TrimSpace(fieldValue(f))
	if i := strings.IndexAny(v, " \t(;"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(v)
}

// lenientEncoding is the mechanism of a Content-Transfer-Encoding field
// read as a receiver may (RFC 2045 §6.1 has a token; comments may stand
// around it, RFC 2045 §3, and a quoted string is taken for its content),
// lower case. "" for an empty or unreadable field.
func lenientEncoding(f []byte) string {
	v := fieldValue(f)
	for {
		v = strings.TrimLeft(v, " \t\r\n")
		if !strings.HasPrefix(v, "(") {
			break
		}
		v = skipComment(v)
	}
	if rest, ok := strings.CutPrefix(v, `"`); ok {
		v, _, _ = strings.Cut(rest, `"`)
	} else if i := strings.IndexAny(v, " \t\r\n(;"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// skipComment returns v after the comment that starts it, nested
// comments and quoted pairs included (RFC 5322 §3.2.2); "" when it does
// not end.
func skipComment(v string) string {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return v[i+1:]
			}
		}
	}
	return ""
}
