package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/petrelmail/petrel/internal/inflate"
)

// compress runs COMPRESS DEFLATE (RFC 4978) and switches the client to
// the compressed stream. The client reads with package inflate (a few
// hundred octets per idle connection, so that 10,000 of them fit here)
// and sends its commands as stored DEFLATE blocks (RFC 1951 §3.2.4):
// valid DEFLATE that needs no compressor, and the server's decoder keeps
// the same window whatever the block type.
func (c *client) compress() error {
	if err := c.run("COMPRESS DEFLATE", nil); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		return errors.New("COMPRESS: data after the OK")
	}
	c.br = bufio.NewReaderSize(inflate.NewReader(c.c), 64<<10)
	c.bw = bufio.NewWriterSize(storedWriter{c.c}, 64<<10)
	return nil
}

// countConn counts the octets read from a connection.
type countConn struct {
	net.Conn
	n *int64
}

func (c countConn) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	*c.n += int64(k)
	return k, err
}

func opFetchAll(s server, e opEnv) (time.Duration, string, error) {
	return fetchAll(s, e, false)
}

func opFetchAllCompressed(s server, e opEnv) (time.Duration, string, error) {
	return fetchAll(s, e, true)
}

// fetchAll times the envelope scan of a client that caches headers,
// UID FETCH 1:* (FLAGS ENVELOPE), in clear or after COMPRESS DEFLATE,
// and prints the octets the server sent for it (they differ between
// servers: the common result is the count).
func fetchAll(s server, e opEnv, compress bool) (time.Duration, string, error) {
	c, err := session(s, true)
	if err != nil {
		return 0, "", err
	}
	defer logout(c)
	var wire int64
	c.c = countConn{c.c, &wire}
	if compress {
		if err := c.compress(); err != nil {
			return 0, "", err
		}
	} else {
		c.br = bufio.NewReaderSize(c.c, 64<<10)
	}
	wire = 0
	n := 0
	t := time.Now()
	err = c.run("UID FETCH 1:* (FLAGS ENVELOPE)", func(r []byte) {
		if isFetch(r) {
			n++
		}
	})
	d := time.Since(t)
	if err == nil && n != e.n {
		err = fmt.Errorf("%d FETCH responses, want %d", n, e.n)
	}
	fmt.Fprintf(os.Stderr, "    %s, compress %v: %d octets from the server\n", s.name, compress, wire)
	return d, strconv.Itoa(n) + " FETCH", err
}

// storedWriter writes each Write as non-final stored blocks.
type storedWriter struct{ c net.Conn }

func (w storedWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 || n == 0 {
		k := min(len(p), 0xffff)
		hdr := [5]byte{0}
		binary.LittleEndian.PutUint16(hdr[1:], uint16(k))
		binary.LittleEndian.PutUint16(hdr[3:], ^uint16(k))
		if _, err := w.c.Write(append(hdr[:], p[:k]...)); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
		if len(p) == 0 {
			break
		}
	}
	return n, nil
}
