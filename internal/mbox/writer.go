package mbox

import (
	"bufio"
	"io"
	"strings"
	"time"
)

// Writer writes messages in mboxrd.
type Writer struct {
	w *bufio.Writer
}

// NewWriter returns a writer to w; Flush after the last message.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// FromLine is the "From " line of a message: the sender (MAILER-DAEMON
// when empty) and its date in UTC asctime (RFC 4155).
func FromLine(sender string, date time.Time) string {
	if sender == "" || strings.ContainsAny(sender, " \t\r\n") {
		sender = "MAILER-DAEMON"
	}
	return "From " + sender + " " + date.UTC().Format("Mon Jan _2 15:04:05 2006") + "\n"
}

// Write writes one message: the "From " line, Status, X-Status and
// X-Keywords fields for its flags (when it has any), and body, whose line
// endings become LF and whose ">*From " lines get one more ">"; then the
// line ending that follows a message (doc.go).
func (w *Writer) Write(m *Message, body io.Reader) error {
	w.w.WriteString(FromLine(m.Sender, m.Date))
	var status, xstatus string
	for _, c := range []byte(m.Flags) {
		switch c {
		case 'R':
			status += "R"
		case 'A', 'F', 'T', 'D':
			xstatus += string(c)
		}
	}
	if status != "" {
		w.w.WriteString("Status: " + status + "O\n")
	}
	if xstatus != "" {
		w.w.WriteString("X-Status: " + xstatus + "\n")
	}
	if len(m.Keywords) > 0 {
		w.w.WriteString("X-Keywords: " + strings.Join(m.Keywords, " ") + "\n")
	}
	br := bufio.NewReaderSize(body, 64<<10)
	atStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if atStart && quoted(append([]byte{'>'}, chunk...)) {
				w.w.WriteByte('>')
			}
			full := chunk[len(chunk)-1] == '\n'
			if full {
				chunk = chunk[:len(chunk)-1]
				if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
					chunk = chunk[:n-1]
				}
			}
			w.w.Write(chunk)
			if full {
				w.w.WriteByte('\n')
			}
			atStart = full
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
	_, err := w.w.WriteString("\n")
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }
