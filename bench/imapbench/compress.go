package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"

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
