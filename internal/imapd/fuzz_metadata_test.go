package imapd

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzMetadataCommand parses GETMETADATA and SETMETADATA commands (RFC
// 5464 §5): the parser must not panic, and what it accepts must keep the
// rules of §3.2 (entry names) and §4.2.2 (DEPTH).
func FuzzMetadataCommand(f *testing.F) {
	for _, seed := range []string{
		`a GETMETADATA "" /shared/admin` + "\r\n",
		`a GETMETADATA (MAXSIZE 10 DEPTH infinity) INBOX (/private/comment "/shared/x")` + "\r\n",
		`a GETMETADATA INBOX (DEPTH 1) /private` + "\r\n",
		`a SETMETADATA INBOX (/private/comment "x" /shared/y NIL)` + "\r\n",
		"a SETMETADATA INBOX (/private/a ~{3+}\r\na\x00b /private/b {2+}\r\nxy)\r\n",
		"a SETMETADATA {5+}\r\nINBOX (/private/a {1}\r\nz)\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &session{state: stateAuth}
		r := newReader(bufio.NewReader(bytes.NewReader(data)), 1<<12, 1<<12, nil)
		for range 4 {
			c, err := s.parseCommand(r)
			if err != nil {
				if c == nil || r.skipCommand() != nil {
					return
				}
				continue
			}
			switch a := c.args.(type) {
			case *getMetadataArgs:
				if len(a.entries) == 0 || a.depth < depth0 || a.depth > depthInfinity {
					t.Fatalf("accepted %q: %+v", data, a)
				}
				for _, e := range a.entries {
					if !validEntry(e) {
						t.Fatalf("accepted entry %q", e)
					}
				}
			case *setMetadataArgs:
				for _, e := range a.entries {
					if !validEntry(e.name) || !strings.Contains(e.name[1:], "/") {
						t.Fatalf("accepted entry %q", e.name)
					}
				}
			}
			c.release()
		}
	})
}
