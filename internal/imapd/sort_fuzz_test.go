package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

// FuzzSortThreadArgs: the SORT and THREAD argument parsers (RFC 5256 §5,
// RFC 5267 §3.1, RFC 9394 §4) never panic, and what they accept has 1 to
// maxSortCriteria criteria (SORT) or a known algorithm (THREAD), a
// charset and a search key; what they refuse is a syntax error.
func FuzzSortThreadArgs(f *testing.F) {
	for _, seed := range []string{
		"SORT (REVERSE DATE SUBJECT) UTF-8 ALL",
		"UID SORT RETURN (MIN MAX COUNT PARTIAL -1:-10) (DISPLAYFROM REVERSE SIZE) US-ASCII OR 1:3 YOUNGER 60",
		"THREAD REFERENCES UTF-8 SUBJECT {3+}\r\nabc",
		"UID THREAD ORDEREDSUBJECT US-ASCII NOT OLDER 5",
		"SORT RETURN () (ARRIVAL) UTF-8 1:*",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &session{srv: &Server{cfg: Config{MaxMessageSize: 4096, SpoolDir: t.TempDir()}.withDefaults()}}
		s.state = stateSelected
		r := newReader(bufio.NewReader(bytes.NewReader(append(append([]byte("a "), data...), "\r\n"...))), 512, 256,
			func() error { return nil })
		c, err := s.parseCommand(r)
		defer c.release()
		if err != nil {
			var se *syntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: not a syntax error: %v", data, err)
			}
			return
		}
		a, ok := c.args.(*sortArgs)
		if !ok {
			return // another command
		}
		if a.charset == "" {
			t.Fatalf("%q: accepted without a charset", data)
		}
		if c.name == "THREAD" && a.algorithm != "REFERENCES" && a.algorithm != "ORDEREDSUBJECT" {
			t.Fatalf("%q: algorithm %q", data, a.algorithm)
		}
		if c.name == "SORT" && (len(a.crit) == 0 || len(a.crit) > maxSortCriteria) {
			t.Fatalf("%q: %d criteria", data, len(a.crit))
		}
	})
}
