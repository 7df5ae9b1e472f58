package imapmsg

import (
	"bytes"
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// WriteEnvelope writes env as an IMAP ENVELOPE (RFC 9051 §7.5.2).
func WriteEnvelope(w *bytes.Buffer, env *msgmeta.Envelope, utf8 bool) { w.WriteString("NIL") }

// WriteBodyStructure writes p as BODYSTRUCTURE (extensible) or BODY.
func WriteBodyStructure(w *bytes.Buffer, p *msgmeta.Part, extensible bool, utf8 bool) {
	w.WriteString("NIL")
}

// SectionReader returns the bytes of a section.
func SectionReader(meta *msgmeta.Meta, body io.ReaderAt, size int64, s Section) (io.Reader, int64, error) {
	return bytes.NewReader(nil), 0, nil
}

// BinarySize returns BINARY.SIZE[part].
func BinarySize(meta *msgmeta.Meta, body io.ReaderAt, size int64, part []int) (int64, error) {
	return 0, nil
}

// Match reports whether c matches k.
func Match(k *SearchKey, c *Candidate) (bool, error) { return false, nil }

// NeedsMeta reports whether k needs Candidate.Meta.
func NeedsMeta(k *SearchKey) bool { return false }

// NeedsBody reports whether k needs Candidate.Body.
func NeedsBody(k *SearchKey) bool { return false }

// FlagsList formats FLAGS.
func FlagsList(f store.Flags, keywords []string, recent bool) string { return "()" }

// InternalDate formats INTERNALDATE.
func InternalDate(t time.Time) string { return `"` + t.Format("02-Jan-2006 15:04:05 -0700") + `"` }
