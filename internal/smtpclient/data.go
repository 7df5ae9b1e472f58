package smtpclient

import (
	"bufio"
	"io"

	"github.com/petrelmail/petrel/internal/mime7bit"
)

// dotWriter writes a message as DATA content (RFC 5321 §4.5.2): every
// line end becomes CRLF (a bare CR or LF too, so that no receiver can see
// an end of data the sender did not mean), a line starting with "." gets
// another, and the content ends with CRLF "." CRLF.
type dotWriter struct {
	w         *bufio.Writer
	lineStart bool
	cr        bool // a CR is pending: is the next byte its LF?
}

func newDotWriter(w *bufio.Writer) *dotWriter { return &dotWriter{w: w, lineStart: true} }

func (d *dotWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if err := d.byte(b); err != nil {
			return 0, &sendError{err}
		}
	}
	return len(p), nil
}

// sendError is a failure to write to the server, told apart from a
// failure to read or convert the message.
type sendError struct{ err error }

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

func (d *dotWriter) byte(b byte) error {
	if d.cr {
		d.cr = false
		if err := d.newline(); err != nil || b == '\n' {
			return err
		}
	}
	switch {
	case b == '\r':
		d.cr = true
		return nil
	case b == '\n':
		return d.newline()
	case b == '.' && d.lineStart:
		_ = d.w.WriteByte('.')
	}
	d.lineStart = false
	return d.w.WriteByte(b)
}

func (d *dotWriter) newline() error {
	d.lineStart = true
	_, err := d.w.WriteString("\r\n")
	return err
}

// Close ends the content with the final dot line.
func (d *dotWriter) Close() error {
	if d.cr || !d.lineStart {
		d.cr = false
		if err := d.newline(); err != nil {
			return &sendError{err}
		}
	}
	if _, err := d.w.WriteString(".\r\n"); err != nil {
		return &sendError{err}
	}
	return nil
}

// copyData sends the body from r as DATA content, converted by plan
// when there is one.
func copyData(w *bufio.Writer, r io.Reader, plan *mime7bit.Plan) error {
	d := newDotWriter(w)
	var err error
	if plan != nil {
		err = plan.Apply(r, d)
	} else {
		_, err = io.Copy(d, r)
	}
	if err != nil {
		return err
	}
	return d.Close()
}
