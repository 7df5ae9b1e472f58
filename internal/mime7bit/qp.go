package mime7bit

import "io"

// qpMax is the longest encoded line, its soft line break "=" included
// (RFC 2045 §6.7 rule 5).
const qpMax = 76

// qpWriter encodes a body as quoted-printable (RFC 2045 §6.7), streaming.
// It is written here rather than taken from mime/quotedprintable for two
// things that one does not do: a bare CR is data (encoded "=0D"), since
// only CRLF or LF ends a line of the input; and a line that follows a soft
// line break never starts with "-", so that no encoded line can be taken
// for a boundary delimiter (RFC 2046 §5.1.1) of an enclosing multipart.
type qpWriter struct {
	w    io.Writer
	line []byte // the encoded line being built
	ws   byte   // a space or tab not written yet: encoded if the line ends after it
	soft bool   // line follows a soft line break
	err  error
}

func newQPWriter(w io.Writer) *qpWriter {
	return &qpWriter{w: w, line: make([]byte, 0, qpMax+2)}
}

// text encodes octets of one line (no line ends: a CR or LF in p is data).
func (q *qpWriter) text(p []byte) {
	for _, c := range p {
		if q.ws != 0 {
			q.put(q.ws, false) // not at the end of the line: literal
			q.ws = 0
		}
		switch {
		case c == ' ' || c == '\t':
			q.ws = c
		case c < ' ' || c == '=' || c >= 0x7f: // rule 1; rule 2 for the rest
			q.put(c, true)
		default:
			q.put(c, false)
		}
	}
}

// hardBreak ends a line of the input: CRLF (rule 4), after encoding
// trailing white space (rule 3).
func (q *qpWriter) hardBreak() {
	q.flushSpace()
	q.line = append(q.line, '\r', '\n')
	q.flush()
	q.soft = false
}

// close ends the body without a line end; the caller writes what follows.
func (q *qpWriter) close() error {
	q.flushSpace()
	q.flush()
	return q.err
}

func (q *qpWriter) flushSpace() {
	if q.ws != 0 {
		q.put(q.ws, true)
		q.ws = 0
	}
}

// put adds one octet, literal or encoded, breaking the line first when
// it would not fit with the soft line break after it (rule 5).
func (q *qpWriter) put(c byte, encode bool) {
	n := 1
	if encode {
		n = 3
	}
	if len(q.line)+n > qpMax-1 {
		q.line = append(q.line, '=', '\r', '\n')
		q.flush()
		q.soft = true
	}
	if c == '-' && q.soft && len(q.line) == 0 {
		encode = true
	}
	if encode {
		const hex = "0123456789ABCDEF"
		q.line = append(q.line, '=', hex[c>>4], hex[c&0x0f])
		return
	}
	q.line = append(q.line, c)
}

func (q *qpWriter) flush() {
	if q.err == nil && len(q.line) > 0 {
		_, q.err = q.w.Write(q.line)
	}
	q.line = q.line[:0]
}
