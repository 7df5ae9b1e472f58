package imapmsg

import (
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// params writes body-fld-param = "(" string SP string *(SP string SP
// string) ")" / nil (RFC 9051 §9).
//
// msgmeta decodes RFC 2231 values to UTF-8. A client with UTF-8 gets
// them as they are; any other gets a non-ASCII value back in RFC 2231 §4
// form, under the name with a '*', which is the same parameter in the
// syntax every MIME client decodes (Dovecot sends the same):
//
//	("name*" "utf-8''%E2%82%AC%20rates.pdf")
func (b bodyWriter) params(params []msgmeta.Param) {
	b.list(len(params), func(i int) {
		name, value := params[i].Name, params[i].Value
		if !b.utf8 && !isASCII(value) && !strings.HasSuffix(name, "*") {
			name, value = name+"*", rfc2231Value(value)
		}
		writeString(b.w, name, b.utf8)
		b.sp()
		writeString(b.w, value, b.utf8)
	})
}

// rfc2231Value encodes v as charset'language'value with every octet that
// is not an attribute-char percent-encoded (RFC 2231 §4, §7).
func rfc2231Value(v string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	sb.WriteString("utf-8''")
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAttributeChar(c) {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}

// isAttributeChar: any 7-bit CHAR except SPACE, CTLs, "*", "'", "%" and
// the tspecials of RFC 2045 §5.1 (RFC 2231 §7).
func isAttributeChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte(`*'%()<>@,;:\"/[]?=`, c) < 0
}

// hasParam reports whether params has one named name.
func hasParam(params []msgmeta.Param, name string) bool {
	for _, q := range params {
		if strings.EqualFold(q.Name, name) {
			return true
		}
	}
	return false
}
