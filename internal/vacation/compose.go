package vacation

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/sieve"
)

// Bounds of what a reply carries from the message and the script.
const (
	maxSubject    = 200 // runes of the Subject
	maxReferences = 20  // message IDs in References
	maxFieldText  = 900 // octets of a :from or message ID
	foldAt        = 78  // RFC 5322 §2.1.1: lines SHOULD be at most 78
)

// composition is what the reply is made of.
type composition struct {
	to        string // the reverse path the reply goes to
	from      string // the From field's value
	subject   string // the Subject, unencoded
	inReplyTo string // the original Message-ID, or ""
	refs      []string
	date      time.Time
	messageID string // the reply's own, with its brackets
	action    *sieve.VacationReply
}

// compose writes the reply: the fields of RFC 5230 §5 and the reason as
// its body (§5.8), CRLF line ends, fields folded.
func compose(c composition) []byte {
	var b bytes.Buffer
	field(&b, "From", c.from) // RFC 5230 §5.3
	field(&b, "To", (&mail.Address{Address: c.to}).String())
	field(&b, "Subject", encodeText(c.subject)) // RFC 5230 §5.5
	field(&b, "Date", c.date.Format(time.RFC1123Z))
	field(&b, "Message-ID", c.messageID)
	if c.inReplyTo != "" { // RFC 5230 §5.6
		field(&b, "In-Reply-To", c.inReplyTo)
	}
	if len(c.refs) > 0 {
		field(&b, "References", strings.Join(c.refs, " "))
	}
	field(&b, "Auto-Submitted", "auto-replied") // RFC 3834 §5, RFC 5230 §5.7
	field(&b, "MIME-Version", "1.0")
	if c.action.MIME {
		mimeBody(&b, c.action.Reason)
	} else {
		textBody(&b, c.action.Reason)
	}
	return b.Bytes()
}

// textBody is the reason as text/plain in UTF-8 (RFC 5230 §5.8),
// quoted-printable when it is not short-lined US-ASCII.
func textBody(b *bytes.Buffer, reason string) {
	text := crlf(strings.ToValidUTF8(reason, "\uFFFD"))
	field(b, "Content-Type", "text/plain; charset=utf-8")
	if isSevenBit(text) {
		field(b, "Content-Transfer-Encoding", "7bit")
		b.WriteString("\r\n" + text)
		return
	}
	field(b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(b)
	_, _ = io.WriteString(w, text) // a bytes.Buffer does not fail
	_ = w.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}

// mimeBody uses the reason as a MIME entity (RFC 5230 §4.4, §5.8): its
// Content-* fields join the reply's header and its body is the reply's.
// Other fields of the entity are dropped, so that a :mime reason cannot
// add recipients or replace the reply's own fields.
func mimeBody(b *bytes.Buffer, reason string) {
	ent := []byte(crlf(reason))
	var fields []header.Field
	size, ended := header.Scan(ent, func(f header.Field) bool {
		fields = append(fields, f)
		return true
	})
	if !ended || len(fields) == 0 {
		size, fields = 0, nil // no header: all of it is the body
	}
	typed := false
	for _, f := range fields {
		if strings.HasPrefix(strings.ToLower(f.Name), "content-") {
			field(b, f.Name, f.Value())
			typed = typed || f.Is("Content-Type")
		}
	}
	if !typed {
		field(b, "Content-Type", "text/plain; charset=utf-8")
	}
	body := string(ent[size:])
	b.WriteString("\r\n" + body)
	if body != "" && !strings.HasSuffix(body, "\r\n") {
		b.WriteString("\r\n")
	}
}

// field writes "Name: value" folded at white space (RFC 5322 §2.2.3),
// with every CR, LF and other control character of value made a space
// so that no value can end the field or start another one.
func field(b *bytes.Buffer, name, value string) {
	line, words := name+":", 0
	for w := range strings.SplitSeq(oneLine(value), " ") {
		if w != "" && words > 0 && len(line)+1+len(w) > foldAt {
			b.WriteString(line + "\r\n")
			line, words = "", 0
		}
		line += " " + w
		if w != "" {
			words++
		}
	}
	b.WriteString(line + "\r\n")
}

// oneLine replaces control characters (CR, LF, NUL, ...) by spaces and
// makes the text valid UTF-8.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// encodeText writes unstructured text as RFC 2047 encoded words when it
// is not US-ASCII (mime's Q encoding, words split at 75 octets).
func encodeText(s string) string { return mime.QEncoding.Encode("utf-8", s) }

// isSevenBit reports US-ASCII text whose lines fit in 998 octets (RFC
// 5322 §2.1.1).
func isSevenBit(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == 0 {
			return false
		}
		if n++; c == '\n' {
			n = 0
		}
		if n > 998 {
			return false
		}
	}
	return true
}

// crlf makes every line end CRLF.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// replySubject is :subject, or "Auto: " and the original subject decoded
// (RFC 5230 §4.3, §5.5; RFC 3834 §3.1.5), on one line, cut at maxSubject
// runes.
func replySubject(fields []header.Field, v *sieve.VacationReply) string {
	s := v.Subject
	if s == "" {
		orig := ""
		if f, ok := header.Get(fields, "Subject"); ok {
			orig = strings.TrimSpace(decodeText(f.Value()))
		}
		switch {
		case orig == "":
			s = "Automated reply"
		case strings.HasPrefix(strings.ToLower(orig), "auto:"):
			s = orig // not "Auto: Auto: ..." on replies to replies
		default:
			s = "Auto: " + orig
		}
	}
	s = strings.Join(strings.Fields(oneLine(s)), " ")
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject])
	}
	return s
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}}

// decodeText decodes the RFC 2047 encoded words of unstructured text; a
// word in a charset not known is kept as written.
func decodeText(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// msgIDs are the message IDs ("<...>") in a field's value, each cut at
// maxFieldText octets.
func msgIDs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		id := v[i : i+j+1]
		if len(id) > 2 && len(id) <= maxFieldText && !strings.ContainsAny(id, " \t") {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
}

// threading is the reply's In-Reply-To and References (RFC 5230 §5.6,
// RFC 5322 §3.6.4): the message's ID, and its References (or its
// In-Reply-To) followed by its ID, the oldest ones dropped beyond
// maxReferences.
func threading(fields []header.Field) (inReplyTo string, refs []string) {
	if f, ok := header.Get(fields, "Message-ID"); ok {
		if ids := msgIDs(f.Value()); len(ids) > 0 {
			inReplyTo = ids[0]
		}
	}
	if f, ok := header.Get(fields, "References"); ok {
		refs = msgIDs(f.Value())
	} else if f, ok := header.Get(fields, "In-Reply-To"); ok {
		refs = msgIDs(f.Value())
	}
	if inReplyTo != "" {
		refs = append(refs, inReplyTo)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	return inReplyTo, refs
}

// fromField is the reply's From (RFC 5230 §4.3, §5.3): :from when it is
// an address, else the envelope recipient.
func fromField(from, rcpt string) string {
	if from = oneLine(from); from != "" && len(from) <= maxFieldText {
		if a, err := addrParser.Parse(from); err == nil {
			return a.String()
		}
	}
	return (&mail.Address{Address: rcpt}).String()
}
