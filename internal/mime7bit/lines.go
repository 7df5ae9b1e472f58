package mime7bit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineBuf is the longest piece of a line read at once. A longer line comes
// in several pieces; only a whole line can be a boundary delimiter, which
// is at most 2+70+2 characters plus transport padding (RFC 2046 §5.1.1).
const lineBuf = 8192

// piece is a line, or part of a longer one.
type piece struct {
	text  []byte // without the line end; valid until the next read
	eol   []byte // "\r\n", "\n", or nil when the line goes on (or ends the input)
	start bool   // text starts a line
}

// whole reports a complete line: one that starts here and ends here, at
// a line end or at the end of the input.
func (p piece) whole(atEOF bool) bool { return p.start && (p.eol != nil || atEOF) }

// lineReader cuts its input into pieces. A line ends at LF (with the CR
// before it); a bare CR is part of the line's text.
type lineReader struct {
	br      *bufio.Reader
	midLine bool  // the last piece did not end its line
	err     error // the read error to return once the pieces are done
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, lineBuf)}
}

// next returns the next piece, and atEOF when no input follows it. At the
// end it returns io.EOF, or the read error.
func (l *lineReader) next() (p piece, atEOF bool, err error) {
	if l.err != nil {
		return piece{}, true, l.err
	}
	b, err := l.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		if b[len(b)-1] == '\r' { // keep a CR with the LF that may follow it
			_ = l.br.UnreadByte()
			b = b[:len(b)-1]
		}
		err = nil
	case err != nil:
		l.err = err
		if len(b) == 0 {
			return piece{}, true, err
		}
		atEOF = true
	}
	p = piece{text: b, start: !l.midLine}
	switch n := len(b); {
	case n >= 2 && b[n-2] == '\r' && b[n-1] == '\n':
		p.text, p.eol = b[:n-2], b[n-2:]
	case n >= 1 && b[n-1] == '\n':
		p.text, p.eol = b[:n-1], b[n-1:]
	}
	l.midLine = p.eol == nil
	return p, atEOF, nil
}

// has8Bit reports an octet >= 0x80.
func has8Bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// hasNUL reports a NUL octet.
func hasNUL(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }
