package delivery

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/msgmeta"
)

var errPositiveReject = errors.New("a policy rejected with a positive reply")

// meta parses the local copy, trace fields, added fields and body, once
// before the policies and the store (docs/flow.md; the store keeps what it
// is given). A body that smtpd spooled to a file is parsed where it lies
// (msgmeta.ParseFilePrefixed maps the file: a large body costs page cache,
// not heap); a body in memory is read once more for the parse. The forged
// Authentication-Results fields that the checks drop (skipReader) lie in
// the header: the header up to the last of them is read without them
// into the prefix, and the rest parsed from the file.
func (m *message) meta(trace string) (*msgmeta.Meta, error) {
	src, skip := m.body, []msgauth.Range(nil)
	if sr, ok := src.(*skipReader); ok {
		src, skip = sr.r, sr.skip
	}
	if sec, ok := src.(*io.SectionReader); ok {
		if outer, off, size := sec.Outer(); isFile(outer) {
			prefix := []byte(trace + m.added)
			if len(skip) > 0 {
				end := skip[len(skip)-1].End
				head, err := readWithout(sec, end, skip)
				if err != nil {
					return nil, err
				}
				prefix = append(prefix, head...)
				off, size = off+end, size-end
			}
			return msgmeta.ParseFilePrefixed(prefix, outer.(*os.File), off, size)
		}
	}
	raw, err := m.readAll()
	if err != nil {
		return nil, err
	}
	return msgmeta.ParsePrefixed([]byte(trace), raw), nil
}

// readAll reads the added fields and the body into memory. A body that
// cannot be rewound is kept in memory from then on (only callers outside
// the servers pass one: smtpd's bodies are seekable).
func (m *message) readAll() ([]byte, error) {
	// bytes.Buffer.ReadFrom, not io.Copy: a MultiReader's WriteTo would
	// take a 32 KiB buffer for every message.
	buf := bytes.NewBuffer(make([]byte, 0, int(m.size)+len(m.added)+bytes.MinRead))
	if _, ok := m.body.(io.Seeker); !ok && !m.read {
		if _, err := buf.ReadFrom(m.body); err != nil {
			return nil, err
		}
		m.body = bytes.NewReader(buf.Bytes())
		return append([]byte(m.added), buf.Bytes()...), nil
	}
	r, _, err := m.open("")
	if err != nil {
		return nil, err
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readWithout reads r[0:end] without the ranges skip (which lie in it).
func readWithout(r io.ReaderAt, end int64, skip []msgauth.Range) ([]byte, error) {
	head := make([]byte, end)
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	out := head[:0:0]
	var pos int64
	for _, rg := range skip {
		out = append(out, head[pos:rg.Start]...)
		pos = rg.End
	}
	return append(out, head[pos:]...), nil
}

func isFile(r io.ReaderAt) bool {
	_, ok := r.(*os.File)
	return ok
}
