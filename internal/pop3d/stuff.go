package pop3d

import (
	"bufio"
	"bytes"
	"io"
)

// stuffer writes a message as a multi-line response body (RFC 1939 §3):
// every line ending as CRLF, lines starting with "." byte-stuffed, and a
// final CRLF when the last line has none. Un-stuffed, what it sends is
// exactly msgmeta.WireSize(message) bytes (a bare CR inside a line is
// kept; one at the very end is half a line ending, dropped). Call end
// after the last Write.
type stuffer struct {
	w         *bufio.Writer
	lineStart bool // the next byte starts a line
	pendingCR bool // a CR was held back: it may precede an LF
	n         int64
}

func newStuffer(w *bufio.Writer) *stuffer { return &stuffer{w: w, lineStart: true} }

func (s *stuffer) put(b []byte) {
	if len(b) == 0 {
		return
	}
	if s.lineStart && b[0] == '.' {
		s.w.WriteByte('.')
		s.n++
	}
	s.w.Write(b)
	s.n += int64(len(b))
	s.lineStart = false
}

func (s *stuffer) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if s.pendingCR {
			s.pendingCR = false
			if p[0] != '\n' {
				s.put([]byte{'\r'}) // a bare CR inside the line
			}
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			seg := p
			if seg[len(seg)-1] == '\r' {
				seg, s.pendingCR = seg[:len(seg)-1], true
			}
			s.put(seg)
			break
		}
		s.put(bytes.TrimSuffix(p[:i], []byte{'\r'}))
		s.w.WriteString("\r\n")
		s.n += 2
		s.lineStart = true
		p = p[i+1:]
	}
	return total, nil
}

// end terminates the last line if it has no line ending (a held-back CR
// at the very end is the start of one).
func (s *stuffer) end() {
	if !s.lineStart || s.pendingCR {
		s.w.WriteString("\r\n")
		s.n += 2
		s.lineStart = true
	}
	s.pendingCR = false
}

// messageBody is the payload of a RETR or TOP reply.
type messageBody struct {
	blob io.ReadCloser // closed by write
	// top, when >= 0, sends the header, the blank line and at most top
	// lines of the body (RFC 1939 §7, TOP); -1 sends everything.
	top int
}

// write streams the message dot-stuffed, then the terminating line.
func (m *messageBody) write(w *bufio.Writer) (int64, error) {
	defer m.blob.Close()
	st := newStuffer(w)
	var err error
	if m.top < 0 {
		_, err = io.Copy(st, m.blob)
	} else {
		err = copyTop(st, m.blob, m.top)
	}
	if err != nil {
		return st.n, err
	}
	st.end()
	_, err = w.WriteString(".\r\n")
	return st.n, err
}

// copyTop copies the header of the message in r, the empty line that
// ends it and at most n lines of the body. A message without an empty
// line is all header.
func copyTop(st *stuffer, r io.Reader, n int) error {
	br := bufio.NewReaderSize(r, 16<<10)
	inHeader, lineStart := true, true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart && !inHeader {
				if n == 0 {
					return nil
				}
				n--
			}
			complete := chunk[len(chunk)-1] == '\n'
			if inHeader && lineStart && (string(chunk) == "\n" || string(chunk) == "\r\n") {
				inHeader = false
			}
			st.Write(chunk)
			lineStart = complete
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return nil
		default:
			return err
		}
	}
}
