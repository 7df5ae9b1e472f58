package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"time"
)

// Message is one message of an mbox.
type Message struct {
	// Sender and Date are those of the "From " line; Date is zero when
	// the line has none that parses.
	Sender string
	Date   time.Time
	// Flags are the letters of Status and X-Status: R read, A answered,
	// F flagged, T draft, D deleted (O, old, is dropped); Keywords those
	// of X-Keywords. The three fields are not in Body.
	Flags    string
	Keywords []string
	// Body is the message, unquoted, with the line endings of the file.
	Body []byte
	// TooBig is set when the message was longer than the reader's limit:
	// Body is nil, the rest of the file is read on.
	TooBig bool
	// Line is the number of its "From " line (1 for the first).
	Line int
}

// ErrNotMbox is returned when the file does not begin with a "From " line.
var ErrNotMbox = errors.New("not an mbox file (no \"From \" line at its start)")

// Reader reads the messages of an mbox one at a time.
type Reader struct {
	r       *bufio.Reader
	max     int
	line    int
	pending string // the next message's "From " line, read already
	pendLn  int    // its line number
	started bool
}

// NewReader returns a reader of the messages of r; a message longer than
// max bytes is reported TooBig, without its body.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// readLine reads one line with its ending; io.EOF only with nothing read.
func (r *Reader) readLine() ([]byte, error) {
	b, err := r.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.r.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	if err == nil {
		r.line++
	}
	return b, err
}

// Next returns the next message, or io.EOF after the last one.
func (r *Reader) Next() (*Message, error) {
	if !r.started {
		r.started = true
		for {
			l, err := r.readLine()
			if err == io.EOF {
				return nil, io.EOF // an empty file holds no messages
			}
			if err != nil {
				return nil, err
			}
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			if !bytes.HasPrefix(l, []byte("From ")) {
				return nil, ErrNotMbox
			}
			r.pending, r.pendLn = string(l), r.line
			break
		}
	}
	if r.pending == "" {
		return nil, io.EOF
	}
	m := &Message{Line: r.pendLn}
	m.Sender, m.Date = ParseFromLine(r.pending)
	r.pending = ""
	var body bytes.Buffer
	for {
		l, err := r.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(l, []byte("From ")) {
			r.pending, r.pendLn = string(l), r.line
			break
		}
		if m.TooBig {
			continue
		}
		if quoted(l) {
			l = l[1:]
		}
		if body.Len()+len(l) > r.max {
			m.TooBig = true
			body = bytes.Buffer{}
			continue
		}
		body.Write(l)
	}
	if !m.TooBig {
		m.Body = trimSeparator(body.Bytes())
		m.Body, m.Flags, m.Keywords = takeStatus(m.Body)
	}
	return m, nil
}

// quoted reports a line ">+From " (mboxrd: one ">" was added).
func quoted(l []byte) bool {
	i := 0
	for i < len(l) && l[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(l[i:], []byte("From "))
}

// trimSeparator removes the one line ending that follows every message
// (doc.go).
func trimSeparator(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b[:len(b)-2]
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// fromLayouts are the dates "From " lines carry: asctime (RFC 4155),
// with a zone after the time or the year, without seconds.
var fromLayouts = []string{
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 2006 -0700",
	"Mon Jan _2 15:04:05 -0700 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04:05 2006 MST",
	"Mon Jan _2 15:04 2006",
	"Mon, _2 Jan 2006 15:04:05 -0700",
}

// ParseFromLine returns the sender and the date of a "From " line. The
// date begins at the last field that is a weekday (a sender may hold
// spaces); a date without a zone is UTC.
func ParseFromLine(line string) (string, time.Time) {
	f := strings.Fields(strings.TrimPrefix(line, "From "))
	if len(f) == 0 {
		return "", time.Time{}
	}
	start := -1
	for i := len(f) - 1; i >= 1; i-- {
		w := strings.TrimSuffix(f[i], ",")
		for _, d := range weekdays {
			if w == d {
				start = i
			}
		}
		if start >= 0 {
			break
		}
	}
	if start < 0 {
		return f[0], time.Time{}
	}
	date := strings.Join(f[start:], " ")
	for _, layout := range fromLayouts {
		if t, err := time.Parse(layout, date); err == nil {
			return strings.Join(f[:start], " "), t
		}
	}
	return strings.Join(f[:start], " "), time.Time{}
}
