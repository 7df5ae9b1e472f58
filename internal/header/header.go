package header

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Field is one header field as written.
type Field struct {
	// Name is the text before the colon, without the white space that
	// may precede the colon (RFC 5322 §4.5).
	Name string
	// Raw is the whole field: name, colon, value, continuation lines and
	// line ends.
	Raw []byte
	// Start and End are the offsets of Raw in the header section.
	Start, End int
}

// Is reports whether the field is named name (ASCII case-insensitive).
func (f Field) Is(name string) bool { return strings.EqualFold(f.Name, name) }

// RawValue is what follows the colon, as written (folding kept).
func (f Field) RawValue() []byte {
	_, v, _ := bytes.Cut(f.Raw, []byte(":"))
	return v
}

// Value is the value unfolded (RFC 5322 §2.2.3) with the white space
// around it trimmed.
func (f Field) Value() string { return Unfold(f.RawValue()) }

// Unfold removes the line breaks of a folded field body (CRLF, LF, and a
// CR at the end; a CR inside a line stays) and trims the SP and HTAB
// around it.
func Unfold(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\n' || (c == '\r' && (i+1 == len(b) || b[i+1] == '\n')) {
			continue
		}
		sb.WriteByte(c)
	}
	return strings.Trim(sb.String(), " \t")
}

// IsBlank reports whether line (with its line break, if any) is the empty
// line that ends a header section.
func IsBlank(line []byte) bool {
	switch len(line) {
	case 1:
		return line[0] == '\n' || line[0] == '\r'
	case 2:
		return line[0] == '\r' && line[1] == '\n'
	}
	return false
}

// IsContinuation reports whether line continues the field before it.
func IsContinuation(line []byte) bool {
	return len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
}

// Name returns the field name of the line that starts a field, and false
// when the line starts no field: no colon, or a name that is empty or not
// printable US-ASCII (RFC 5322 §3.6.8 ftext).
func Name(line []byte) ([]byte, bool) {
	colon := bytes.IndexByte(line, ':')
	if colon < 1 {
		return nil, false
	}
	name := bytes.TrimRight(line[:colon], " \t")
	if len(name) == 0 {
		return nil, false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return nil, false
		}
	}
	return name, true
}

// Scan reads the header section at the start of raw and calls fn with
// each field in order (Raw is a slice of raw, Start and End offsets in
// it), until fn returns false; it returns the size of the section, the
// empty line included, and whether the section ended with one.
func Scan(raw []byte, fn func(Field) bool) (size int, ended bool) {
	return spans(raw, func(start, end int) bool {
		if name, ok := Name(raw[start:end]); ok {
			return fn(Field{Name: string(name), Raw: raw[start:end], Start: start, End: end})
		}
		return true
	})
}

// spans walks the header section at the start of raw and calls fn with
// each span [start, end) of a line and the continuation lines after it
// (a continuation at the top makes a span of its own), until fn returns
// false; it returns what Scan returns. Scan keeps the spans that are
// fields, Malformed the others.
func spans(raw []byte, fn func(start, end int) bool) (size int, ended bool) {
	more := true
	start := -1
	emit := func(end int) {
		if start >= 0 && more {
			more = fn(start, end)
		}
	}
	pos := 0
	for pos < len(raw) {
		next := len(raw)
		if i := bytes.IndexByte(raw[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		line := raw[pos:next]
		if IsBlank(line) {
			emit(pos)
			return next, true
		}
		if pos == 0 || !IsContinuation(line) {
			emit(pos)
			start = pos
		}
		pos = next
	}
	emit(len(raw))
	return len(raw), false
}

// MaxSection is the largest header section Petrel reads for a rule that
// depends on it (the From rule: submission's check, DKIM signing, DMARC):
// 256 KiB, the empty line included (README "Limits"). Every consumer
// reads with the same limit, so that none sees a field another missed.
const MaxSection = 256 << 10

// ErrTooLarge is Read's error for a header section that does not end
// within the limit.
var ErrTooLarge = errors.New("header: header section over the size limit")

// Read reads the header section from br, at most max octets of it (0: no
// limit), and returns its octets (the empty line included when there is
// one) and its fields, whose Raw are slices of the octets returned. A
// section that does not end within max octets gives ErrTooLarge, with the
// octets and fields of the lines before the one that went past the limit
// (that line is consumed up to the limit); nothing past it is read into
// memory. Any other error is a read error other than io.EOF.
func Read(br *bufio.Reader, max int) ([]byte, []Field, error) {
	var raw []byte
	for {
		start := len(raw)
		var err error
		for {
			var part []byte
			part, err = br.ReadSlice('\n')
			if max > 0 && len(raw)+len(part) > max {
				raw = raw[:start]
				return raw, scanAll(raw), ErrTooLarge
			}
			// Copy before reading on: ReadSlice's result is the buffer.
			raw = append(raw, part...)
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		if line := raw[start:]; len(line) == 0 || IsBlank(line) || err != nil {
			break
		}
	}
	return raw, scanAll(raw), nil
}

func scanAll(raw []byte) []Field {
	var fields []Field
	Scan(raw, func(f Field) bool {
		fields = append(fields, f)
		return true
	})
	return fields
}

// Malformed returns the lines of the header section raw that Scan hands
// to no caller, each with the continuation lines after it: a continuation
// line at the top of the section (RFC 5322 §2.2.3 has no field for it to
// continue), and a line without a colon or whose name is empty or not
// ftext (§3.6.8). Name is the text before the first colon without the
// white space before it, or "" when there is no colon or the span is a
// leading continuation. Submission refuses a header with any (README
// "Submission"); the From rule reads those named like From (FromSection).
func Malformed(raw []byte) []Field {
	var out []Field
	spans(raw, func(start, end int) bool {
		if _, ok := Name(raw[start:end]); ok {
			return true
		}
		f := Field{Raw: raw[start:end], Start: start, End: end}
		if start > 0 || !IsContinuation(raw) {
			if colon := bytes.IndexByte(f.Raw, ':'); colon >= 0 {
				f.Name = string(bytes.TrimRight(f.Raw[:colon], " \t"))
			}
		}
		out = append(out, f)
		return true
	})
	return out
}

// Get returns the first field named name.
func Get(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Is(name) {
			return f, true
		}
	}
	return Field{}, false
}
