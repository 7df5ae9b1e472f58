package imapmsg

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// PreviewMax is the length of a preview in characters (RFC 8970 §3: "no
// more than 256 characters").
const PreviewMax = 256

// Bounds of the body read for a preview, in decoded octets: the text of
// a plain part, the markup of an HTML part (style and script blocks can
// come before any text).
const (
	previewPlainRead = 16 << 10
	previewHTMLRead  = 128 << 10
)

// Preview returns the preview text of a message (RFC 8970 §3): the
// beginning of its first text part (text/plain preferred over text/html
// in a multipart/alternative; attachments skipped), its transfer encoding
// undone and its charset converted to UTF-8, HTML reduced to its text,
// runs of white space and control characters collapsed to one space, at
// most PreviewMax characters. A message without text has the empty
// preview. At most previewHTMLRead octets of the body are read.
func Preview(meta *msgmeta.Meta, body io.ReaderAt, size int64) (string, error) {
	p := previewPart(&meta.Body)
	if p == nil {
		return "", nil
	}
	sp := bodyOf(p, size)
	r := io.Reader(io.NewSectionReader(body, sp.start, sp.len()))
	if dec, ok := decoderFor(p.Encoding); !ok {
		return "", nil // an encoding that cannot be read has no text to show
	} else if dec != nil {
		r = dec(r)
	}
	r = toUTF8(r, paramOf(p.Params, "charset"))
	isHTML := strings.EqualFold(p.Subtype, "html")
	limit := int64(previewPlainRead)
	if isHTML {
		limit = previewHTMLRead
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return "", err
	}
	if isHTML {
		raw = htmlText(raw)
	}
	return collapse(raw, PreviewMax), nil
}

// previewPart picks the part a preview is made of: the first text/plain
// or text/html part that is not an attachment, in order, taking the
// plain alternative of a multipart/alternative when it has one.
func previewPart(p *msgmeta.Part) *msgmeta.Part {
	if len(p.Children) > 0 {
		if strings.EqualFold(p.Subtype, "alternative") {
			for i := range p.Children {
				c := &p.Children[i]
				if isTextPart(c, "plain") {
					return c
				}
			}
		}
		for i := range p.Children {
			if q := previewPart(&p.Children[i]); q != nil {
				return q
			}
		}
		return nil
	}
	if isTextPart(p, "plain") || isTextPart(p, "html") {
		return p
	}
	return nil
}

func isTextPart(p *msgmeta.Part, subtype string) bool {
	return len(p.Children) == 0 && strings.EqualFold(p.Type, "text") && strings.EqualFold(p.Subtype, subtype) &&
		!strings.EqualFold(p.Disposition, "attachment")
}

// htmlText reduces HTML to its text: the content of script, style, head
// and title elements dropped, each tag a word break.
func htmlText(b []byte) []byte {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out []byte
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.TextToken:
			if skip == 0 {
				out = append(out, z.Text()...)
			}
		case html.StartTagToken:
			if hiddenElement(z) {
				skip++
			}
			out = append(out, ' ')
		case html.EndTagToken:
			if hiddenElement(z) && skip > 0 {
				skip--
			}
			out = append(out, ' ')
		case html.SelfClosingTagToken:
			out = append(out, ' ')
		}
	}
}

func hiddenElement(z *html.Tokenizer) bool {
	name, _ := z.TagName()
	switch string(name) {
	case "script", "style", "head", "title", "template":
		return true
	}
	return false
}

// collapse turns runs of white space and control characters (and
// invalid UTF-8) into one space, trims the ends and keeps at most n
// characters.
func collapse(b []byte, n int) string {
	var sb strings.Builder
	count, space := 0, false
	for len(b) > 0 && count < n {
		r, w := utf8.DecodeRune(b)
		b = b[w:]
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			count++
			space = false
			if count == n {
				break
			}
		}
		sb.WriteRune(r)
		count++
	}
	return sb.String()
}
