package imapd

import (
	"bytes"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// PREVIEW (RFC 8970): FETCH PREVIEW and PREVIEW (LAZY), the text made by
// imapmsg.Preview from the stored message (a bounded read of its first
// text part), kept in the item cache like ENVELOPE. LAZY (§4.1) lets the
// server answer NIL when the preview is not at hand; Petrel's is always
// cheap to make (at most 128 KiB read), so LAZY gets it too.

// previewItem reads what may follow PREVIEW: [SP "(" preview-mod *(SP
// preview-mod) ")"], preview-mod = "LAZY" (RFC 8970 §6). A list that does
// not start with LAZY is left alone: it is FETCH's modifiers ("FETCH 1
// PREVIEW (CHANGEDSINCE 5)").
func (r *reader) previewItem() (fetchItem, error) {
	it := fetchItem{name: "PREVIEW"}
	rest := r.line[r.pos:]
	if len(rest) < 6 || !bytes.EqualFold(rest[:6], []byte(" (LAZY")) {
		return it, nil
	}
	r.pos++
	err := r.list(func() error {
		if m := strings.ToUpper(r.atomWith(isNameChar)); m != "LAZY" {
			return errSyntax("Unknown PREVIEW modifier")
		}
		return nil // LAZY: answered as without it (see above)
	})
	return it, err
}

// previewRead is what the bulk read of FETCH's cache misses reads
// besides the metadata: the bodies when PREVIEW is asked for.
func previewRead(items []fetchItem) store.ReadFlags {
	for _, it := range items {
		if it.name == "PREVIEW" {
			return store.ReadBody
		}
	}
	return 0
}

// writePreview writes PREVIEW "text" (RFC 8970 §4.2), from the item cache
// when it is there. The text is UTF-8: a literal when it cannot be quoted.
func (s *session) writePreview(fc *fetchCtx) error {
	key := s.itemKey(fc.m.UID, cachedItem("PREVIEW"))
	if b, ok := s.srv.items.get(key); ok {
		s.w.Write(b)
		return nil
	}
	meta, blob, err := fc.both()
	if err != nil {
		return err
	}
	text, err := imapmsg.Preview(meta, blob, fc.m.Size)
	if err != nil {
		return err
	}
	buf := &s.metaBuf
	buf.Reset()
	buf.WriteString("PREVIEW ")
	buf.Write(appendString(buf.AvailableBuffer(), text, s.utf8))
	s.w.Write(buf.Bytes())
	s.srv.items.put(key, bytes.Clone(buf.Bytes()))
	return nil
}
