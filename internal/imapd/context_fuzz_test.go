package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

// FuzzContextArgs: the parsers of RFC 5267 §5 (the UPDATE and CONTEXT
// return options of SEARCH and SORT, CANCELUPDATE) never panic; what they
// accept has its tags (1 to maxContexts*4 of them), and UPDATE is kept
// only when it was given; what they refuse is a syntax error.
func FuzzContextArgs(f *testing.F) {
	for _, seed := range []string{
		"UID SEARCH RETURN (UPDATE) UNSEEN",
		"SEARCH RETURN (COUNT CONTEXT UPDATE PARTIAL 1:10) ALL",
		"UID SORT RETURN (UPDATE MIN) (REVERSE SUBJECT) UTF-8 FLAGGED",
		`CANCELUPDATE "A01" "B02"`,
		`CANCELUPDATE A01`,
		"SEARCH RETURN (CONTEXT) 1:*",
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
		upd := bytes.Contains(bytes.ToUpper(data), []byte("UPDATE"))
		switch a := c.args.(type) {
		case *cancelArgs:
			if len(a.tags) == 0 || len(a.tags) > maxContexts*4 {
				t.Fatalf("%q: %d tags", data, len(a.tags))
			}
		case *searchArgs:
			if a.update && (!upd || !a.esearch) {
				t.Fatalf("%q: UPDATE not given", data)
			}
		case *sortArgs:
			if a.update && (!upd || !a.esort) {
				t.Fatalf("%q: UPDATE not given", data)
			}
		}
	})
}
