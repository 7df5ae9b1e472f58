package imapd

import (
	"bufio"
	"io"
	"sync"
)

// A session holds buffers only while it works: a connection waiting for
// the client (between commands, in IDLE) keeps no read or write buffer,
// so that 10,000 idle sessions do not hold 80 MB of them. Busy sessions
// take them from these pools. A response starts in a small buffer and
// moves to a large one when it outgrows it, so that a FETCH of many
// messages goes out in few writes while 10,000 sessions woken at once
// by new mail take 4 KiB each.
const (
	readBufSize     = 4 << 10
	writeBufSize    = 4 << 10
	bigWriteBufSize = 64 << 10
)

var (
	readBufs     = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	writeBufs    = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}
	bigWriteBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bigWriteBufSize) }}
)

// bufWriter is a buffered writer that holds its buffer from the first
// write to the next Flush.
type bufWriter struct {
	w   io.Writer
	z   *deflater // after COMPRESS: w, flushed with the buffer
	bw  *bufio.Writer
	big bool
	err error // the first write error, sticky
}

// buf returns the buffer for a write of n bytes.
func (b *bufWriter) buf(n int) *bufio.Writer {
	if b.bw == nil {
		b.bw, b.big = writeBufs.Get().(*bufio.Writer), false
		b.bw.Reset(b.w)
	}
	if !b.big && b.bw.Available() < n {
		b.release()
		b.bw, b.big = bigWriteBufs.Get().(*bufio.Writer), true
		b.bw.Reset(b.w)
	}
	return b.bw
}

func (b *bufWriter) Write(p []byte) (int, error)       { return b.buf(len(p)).Write(p) }
func (b *bufWriter) WriteString(s string) (int, error) { return b.buf(len(s)).WriteString(s) }
func (b *bufWriter) WriteByte(c byte) error            { return b.buf(1).WriteByte(c) }

// ReadFrom copies from r through the buffer (io.Copy to a literal
// needs no buffer of its own).
func (b *bufWriter) ReadFrom(r io.Reader) (int64, error) { return b.buf(bigWriteBufSize).ReadFrom(r) }

// AvailableBuffer is bufio.Writer's: an empty slice to append to and
// Write.
func (b *bufWriter) AvailableBuffer() []byte { return b.buf(0).AvailableBuffer() }

// Flush writes out what is buffered and gives the buffer back; after
// COMPRESS, the compressor too, ending the burst (RFC 4978 §4).
func (b *bufWriter) Flush() error {
	if b.bw != nil {
		b.release()
	}
	if b.z != nil {
		if err := b.z.Flush(); err != nil && b.err == nil {
			b.err = err
		}
	}
	return b.err
}

// release flushes the buffer and gives it back.
func (b *bufWriter) release() {
	if err := b.bw.Flush(); err != nil && b.err == nil {
		b.err = err
	}
	b.bw.Reset(nil)
	if b.big {
		bigWriteBufs.Put(b.bw)
	} else {
		writeBufs.Put(b.bw)
	}
	b.bw = nil
}

// prefixConn reads one byte already read from a connection, then the
// connection, telling clock what it reads (nil clock: the source counts,
// see countingConn).
type prefixConn struct {
	c     io.Reader
	clock *cmdClock
	b     byte
	have  bool
}

func (p *prefixConn) Read(buf []byte) (int, error) {
	if p.have && len(buf) > 0 {
		buf[0], p.have = p.b, false
		return 1, nil
	}
	n, err := p.c.Read(buf)
	if p.clock != nil {
		p.clock.received(n)
	}
	return n, err
}

// awaitInput waits until the client sends something, without holding a
// read buffer when none is buffered: it gives the buffer back, blocks on
// the connection for one byte, then takes a buffer again. Its error is
// the connection's (a timeout, EOF).
func (s *session) awaitInput() error {
	if s.br != nil && s.br.Buffered() > 0 {
		return nil
	}
	s.releaseReader()
	var src io.Reader = s.conn
	clock := &s.clock
	if s.zin != nil {
		src, clock = s.zin, nil
	}
	var one [1]byte
	n, err := src.Read(one[:])
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	s.pre = prefixConn{c: src, clock: clock, b: one[0], have: true}
	s.br = readBufs.Get().(*bufio.Reader)
	s.br.Reset(&s.pre)
	s.r.br = s.br
	return nil
}

// releaseReader gives the read buffer back when it holds nothing, and the
// inflater's input buffer.
func (s *session) releaseReader() {
	if s.zin != nil {
		s.zin.Release()
	}
	if s.br == nil || s.br.Buffered() > 0 {
		return
	}
	s.br.Reset(nil)
	readBufs.Put(s.br)
	s.br, s.r.br = nil, nil
}
