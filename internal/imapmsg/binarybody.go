package imapmsg

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// base64Line is the input of one line of base64 output: 57 octets give
// the 76 characters RFC 2045 §6.8 allows per line.
const base64Line = 57

// binaryAsBase64 serves BODY[part] of a leaf part in Content-Transfer-
// Encoding binary that holds NUL octets. NUL may only go in a literal8
// (RFC 9051 §4.3.1), which BODY[] does not use, so the content is sent in
// base64, in lines of 76 characters each ending in CRLF, as RFC 3516 §4.2
// suggests for binary content fetched without BINARY. ok is false when the
// section is not such a part (it then goes as it is).
func binaryAsBase64(meta *msgmeta.Meta, body io.ReaderAt, size int64, s Section) (r io.Reader, n int64, ok bool, err error) {
	if s.Binary || s.Specifier != "" || len(s.Part) == 0 {
		return nil, 0, false, nil
	}
	p := meta.Body.Find(s.Part)
	if p == nil || len(p.Children) > 0 || p.Message != nil ||
		!strings.EqualFold(strings.TrimSpace(p.Encoding), "binary") {
		return nil, 0, false, nil
	}
	sp := bodyOf(p, size)
	if nul, err := hasNUL(io.NewSectionReader(body, sp.start, sp.len())); err != nil || !nul {
		return nil, 0, false, err
	}
	cut := span{0, base64Size(sp.len())}.partial(s.Partial)
	r = &base64Lines{src: bufio.NewReader(io.NewSectionReader(body, sp.start, sp.len()))}
	if _, err := io.CopyN(io.Discard, r, cut.start); err != nil {
		return nil, 0, false, err
	}
	return io.LimitReader(r, cut.len()), cut.len(), true, nil
}

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
