package imapmsg

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// Served is a message as FETCH serves it outside BINARY.
type Served struct {
	Meta *msgmeta.Meta
	Body io.ReaderAt
	Size int64
	// Converted is true when Body is not the stored message: leaf parts
	// in Content-Transfer-Encoding binary that hold NUL went to base64.
	Converted bool
}

// MayConvert reports, from the metadata alone, whether ServedForm could
// convert the message: it has a leaf part in Content-Transfer-Encoding
// binary. When false, the message is served as stored without reading it.
func MayConvert(meta *msgmeta.Meta) bool {
	return len(binaryLeaves(&meta.Body, nil)) > 0
}

// ServedForm returns the message as FETCH serves it: as stored, unless a
// leaf part in Content-Transfer-Encoding binary holds NUL octets. NUL may
// only go in a literal8 (RFC 9051 §4.3.1), which only BINARY responses use
// (RFC 3516 §4.3), so such a part is converted to base64 in the whole
// message, as RFC 3516 §4.2 suggests for binary content fetched without
// BINARY: its Content-Transfer-Encoding field says base64 and its body is
// base64 in lines of 76 characters ending in CRLF. The metadata is that of
// the converted message, so BODYSTRUCTURE (encoding, size, lines),
// RFC822.SIZE and every BODY section agree with one another; BINARY[n]
// decodes the base64 back to the stored octets. The converted message is
// built in memory (such messages are rare; their size is bounded by the
// message size limit).
func ServedForm(meta *msgmeta.Meta, body io.ReaderAt, size int64) (Served, error) {
	stored := Served{Meta: meta, Body: body, Size: size}
	var convert []*msgmeta.Part
	for _, p := range binaryLeaves(&meta.Body, nil) {
		sp := bodyOf(p, size)
		nul, err := hasNUL(io.NewSectionReader(body, sp.start, sp.len()))
		if err != nil {
			return Served{}, err
		}
		if nul {
			convert = append(convert, p)
		}
	}
	if len(convert) == 0 {
		return stored, nil
	}
	raw := make([]byte, size)
	if _, err := body.ReadAt(raw, 0); err != nil && err != io.EOF {
		return Served{}, err
	}
	var out bytes.Buffer
	pos := int64(0)
	for _, p := range convert { // in the order of the message
		hdr, b := headerOf(p, size), bodyOf(p, size)
		out.Write(raw[pos:hdr.start])
		out.Write(base64Header(raw[hdr.start:hdr.end]))
		if _, err := io.Copy(&out, &base64Lines{src: bufio.NewReader(bytes.NewReader(raw[b.start:b.end]))}); err != nil {
			return Served{}, err
		}
		pos = b.end
	}
	out.Write(raw[pos:])
	conv := out.Bytes()
	return Served{Meta: msgmeta.ParseBytes(conv), Body: bytes.NewReader(conv), Size: int64(len(conv)), Converted: true}, nil
}

// binaryLeaves appends to out the leaf parts of p (encapsulated messages
// included) in Content-Transfer-Encoding binary, in the order of the
// message.
func binaryLeaves(p *msgmeta.Part, out []*msgmeta.Part) []*msgmeta.Part {
	switch {
	case len(p.Children) > 0:
		for i := range p.Children {
			out = binaryLeaves(&p.Children[i], out)
		}
	case p.Message != nil:
		out = binaryLeaves(&p.Message.Body, out)
	case strings.EqualFold(strings.TrimSpace(p.Encoding), "binary"):
		out = append(out, p)
	}
	return out
}

// base64Header is a part's header with each Content-Transfer-Encoding
// field (folded lines included) replaced by one that says base64.
func base64Header(h []byte) []byte {
	var out []byte
	skipping := false
	for len(h) > 0 {
		line := h
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			line = h[:i+1]
		}
		h = h[len(line):]
		if skipping && len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			continue // a continuation of the field replaced
		}
		name, _, isField := bytes.Cut(line, []byte(":"))
		skipping = isField && strings.EqualFold(strings.TrimRight(string(name), " \t"), "Content-Transfer-Encoding")
		if skipping {
			line = []byte("Content-Transfer-Encoding: base64\r\n")
		}
		out = append(out, line...)
	}
	return out
}

// base64Line is the input of one line of base64 output: 57 octets give
// the 76 characters RFC 2045 §6.8 allows per line.
const base64Line = 57

// hasNUL reports whether r holds a NUL octet.
func hasNUL(r io.Reader) (bool, error) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if bytes.IndexByte(buf[:n], 0) >= 0 {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// base64Size is the length of n octets in base64 lines with CRLF.
func base64Size(n int64) int64 {
	lines := (n + base64Line - 1) / base64Line
	return (n+2)/3*4 + 2*lines
}

// base64Lines encodes src in base64, one line of 76 characters and CRLF
// per 57 octets read.
type base64Lines struct {
	src  *bufio.Reader
	line []byte // encoded, not yet read
	in   [base64Line]byte
	out  [base64Line/3*4 + 2]byte
}

func (b *base64Lines) Read(p []byte) (int, error) {
	if len(b.line) == 0 {
		n, err := io.ReadFull(b.src, b.in[:])
		if n == 0 {
			return 0, err // io.EOF at the end
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return 0, err
		}
		m := base64.StdEncoding.EncodedLen(n)
		base64.StdEncoding.Encode(b.out[:m], b.in[:n])
		b.line = append(b.out[:m], '\r', '\n')
	}
	n := copy(p, b.line)
	b.line = b.line[n:]
	return n, nil
}
