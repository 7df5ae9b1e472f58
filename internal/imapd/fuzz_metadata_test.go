package imapd

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"
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

// FuzzObjectMetaSession runs whole sessions with the commands of
// OBJECTID, PREVIEW, SAVEDATE, METADATA, REPLACE, UIDONLY and INPROGRESS
// on arbitrary input: the server must neither panic nor hang.
func FuzzObjectMetaSession(f *testing.F) {
	for _, seed := range []string{
		"s SELECT INBOX\r\nf FETCH 1:* (EMAILID THREADID SAVEDATE PREVIEW (LAZY))\r\nq UID SEARCH EMAILID M1 SAVEDSINCE 1-Jan-2020\r\n",
		"g GETMETADATA (DEPTH infinity MAXSIZE 3) \"\" /private\r\nm SETMETADATA INBOX (/shared/x ~{2+}\r\n\x00a)\r\n",
		"e ENABLE UIDONLY QRESYNC\r\ns SELECT INBOX\r\nf UID FETCH 1:* (FLAGS)\r\nx FETCH 1 FLAGS\r\nr UID REPLACE 1 INBOX {12+}\r\nSubject: y\r\n\r\n",
		"s SELECT INBOX\r\nr REPLACE 1 Trash (\\Seen) \"01-Jan-2020 00:00:00 +0000\" {12+}\r\nSubject: z\r\n\r\nc CREATE a\r\nt STATUS a (MAILBOXID)\r\n",
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f, func(c *Config, _ *Deps) { c.ProgressInterval = time.Nanosecond })
	for range 70 {
		e.deliver("", testMessage("fuzz", "body"), 0)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte("a LOGIN "+testUser+` "`+testPass+"\"\r\n"), data...)
		in = append(in, "\r\nz LOGOUT\r\n"...)
		runSession(t, e.srv, &memConn{r: bytes.NewReader(in)})
	})
}
