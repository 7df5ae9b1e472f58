package imapmsg

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/transform"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// finder looks for a string without regard to case: both sides are
// Unicode case-folded (Unicode §3.13 full case folding), so "STRASSE"
// finds "straße" and "ǅ" finds "ǆ".
type finder struct {
	needle []byte // folded
	ascii  bool   // the needle is ASCII
}

func newFinder(s string) finder {
	n := fold(s)
	return finder{needle: []byte(n), ascii: isASCII(n)}
}

// fold case-folds s; ASCII, the common case, by lower-casing.
func fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Fold().String(s)
}

func (f finder) inString(s string) bool {
	if f.ascii && isASCII(s) {
		return indexFoldASCII(s, f.needle)
	}
	return strings.Contains(fold(s), string(f.needle))
}

// inField searches "Name: Value", as the field reads.
func (f finder) inField(h msgmeta.Field) bool {
	if bytes.IndexByte(f.needle, ':') >= 0 {
		return f.inString(h.Name + ": " + h.Value)
	}
	return f.inString(h.Value) || f.inString(h.Name)
}

// indexFoldASCII reports whether s holds needle (lower case), ignoring
// ASCII case, without allocating.
func indexFoldASCII(s string, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	for i := 0; i+len(needle) <= len(s); i++ {
		j := 0
		for j < len(needle) && lowerASCII(s[i+j]) == needle[j] {
			j++
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// searchChunk is the most text a textScanner reads at a time.
const searchChunk = 32 << 10

// textScanner looks for a finder's string in streams of UTF-8 text,
// reusing its buffers from one stream to the next.
type textScanner struct {
	f     finder
	raw   []byte // text read, not yet folded
	buf   []byte // folded text: the end of the previous chunk, then this one
	hdr   []byte // a header, for readHeader
	caser cases.Caser
	fresh bool // caser is set
}

// in reports whether the text read from r (of about size bytes) contains
// the string. The text is folded a chunk at a time, cut at a rune
// boundary; each chunk is searched with the end of the previous one, so
// that a match across two chunks is found.
func (s *textScanner) in(r io.Reader, size int64) (bool, error) {
	if len(s.f.needle) == 0 {
		return true, nil
	}
	if want := int(min(max(size, 512), searchChunk)); cap(s.raw) < want {
		s.raw = make([]byte, want)
	}
	raw, keep := s.raw[:cap(s.raw)], len(s.f.needle)-1
	s.buf = s.buf[:0]
	pending := 0 // the start of a rune cut at the end of the last read
	for {
		n, err := r.Read(raw[pending:])
		n += pending
		cut := n
		if err == nil {
			cut = completeRunes(raw[:n])
		}
		s.buf = s.appendFold(s.buf, raw[:cut])
		if bytes.Contains(s.buf, s.f.needle) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		pending = copy(raw, raw[cut:n])
		if len(s.buf) > keep {
			s.buf = s.buf[:copy(s.buf, s.buf[len(s.buf)-keep:])]
		}
	}
}

// completeRunes returns the length of b without an incomplete UTF-8
// sequence at its end.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// appendFold appends the folding of src to dst.
func (s *textScanner) appendFold(dst, src []byte) []byte {
	if isASCII(string(src)) { // no copy: the conversion is only compared
		for _, c := range src {
			dst = append(dst, lowerASCII(c))
		}
		return dst
	}
	if !s.fresh {
		s.caser, s.fresh = cases.Fold(), true
	}
	s.caser.Reset()
	out, _, err := transform.Append(s.caser, dst, src)
	if err != nil { // not expected from folding: search the text as it is
		return append(dst, src...)
	}
	return out
}

// readHeader reads r into a buffer of the scanner (not the one in reads
// into), valid until the next call.
func (s *textScanner) readHeader(r io.Reader) ([]byte, error) {
	b := bytes.NewBuffer(s.hdr[:0])
	_, err := b.ReadFrom(r)
	s.hdr = b.Bytes()
	return s.hdr, err
}
