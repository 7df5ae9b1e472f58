package imapd

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// memConn is a connection whose input is fixed and whose output is
// discarded: whole sessions run without sockets in the fuzz target.
type memConn struct {
	r io.Reader
}

func (c *memConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *memConn) Close() error                       { return nil }
func (c *memConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 143} }
func (c *memConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *memConn) SetDeadline(_ time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(_ time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(_ time.Time) error { return nil }

// FuzzSession runs whole sessions, logged in, on arbitrary input: the
// server must neither panic nor hang.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"s SELECT INBOX\r\nf FETCH 1:* (FLAGS BODY.PEEK[] ENVELOPE BODYSTRUCTURE)\r\nx STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n",
		"c CREATE a/b\r\nr RENAME a z\r\nl LIST (SUBSCRIBED RECURSIVEMATCH) \"\" * RETURN (STATUS (MESSAGES SIZE))\r\nd DELETE z/b\r\n",
		"e ENABLE QRESYNC\r\ns SELECT INBOX (QRESYNC (1 1 1:*))\r\nu UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n",
		"a APPEND INBOX (\\Seen) {12+}\r\nSubject: x\r\n\r\ns EXAMINE INBOX\r\nq SEARCH RETURN (SAVE) ALL\r\nm UID MOVE $ Trash\r\n",
		"i IDLE\r\nDONE\r\ng GETQUOTAROOT INBOX\r\nn NAMESPACE\r\n",
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f, nil)
	e.deliver("", testMessage("fuzz", "body"), 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte("a LOGIN "+testUser+` "`+testPass+"\"\r\n"), data...)
		in = append(in, "\r\nz LOGOUT\r\n"...)
		runSession(t, e.srv, &memConn{r: bytes.NewReader(in)})
	})
}

// runSession runs a whole session on c, which must end within 10 s.
func runSession(t *testing.T, srv *Server, c net.Conn) {
	s := newSession(srv, c, netip.MustParseAddr("127.0.0.1"))
	done := make(chan struct{})
	go func() { s.run(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
}
