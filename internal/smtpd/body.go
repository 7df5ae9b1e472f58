package smtpd

import (
	"bytes"
	"io"
	"os"

	"github.com/petrelmail/petrel/internal/spool"
)

// memoryLimit is how much of a body is kept in memory; the rest goes to a
// temporary file in Config.SpoolDir. It bounds the memory of a session
// (README "SMTP", Memory): 1000 connections hold at most 128 MB of bodies.
const memoryLimit = 128 << 10

// body collects one message body: in memory up to memoryLimit, then in a
// temporary file. It is an io.Writer for the DATA and BDAT readers. The
// temporary file is scratch space, not durable: Delivery makes its own
// durable copy before the 250.
type body struct {
	dir  string
	mem  []byte
	file *os.File
	size int64
}

func (b *body) Write(p []byte) (int, error) {
	if b.file == nil && len(b.mem)+len(p) > memoryLimit {
		if err := b.spill(); err != nil {
			return 0, err
		}
	}
	if b.file != nil && len(b.mem)+len(p) > memoryLimit {
		// Spilled: mem is the file's write buffer. The DATA reader
		// writes a line (or less) at a time; a write system call per
		// line cost 2.9 s of CPU for a 50 MB message
		// (docs/benchmarks.md, "Memory (issue 21)").
		if err := b.flush(); err != nil {
			return 0, err
		}
		if len(p) > memoryLimit {
			n, err := b.file.Write(p)
			b.size += int64(n)
			return n, err
		}
	}
	b.mem = append(b.mem, p...)
	b.size += int64(len(p))
	return len(p), nil
}

// spill moves the body to a temporary file; mem becomes its write buffer.
func (b *body) spill() error {
	f, err := spool.CreateTemp(b.dir, "smtpd-*.eml")
	if err != nil {
		return err
	}
	b.file = f
	if err := b.flush(); err != nil {
		f.Close()
		os.Remove(f.Name())
		b.file = nil
		return err
	}
	return nil
}

// flush writes what mem holds to the file, when the body has one. The
// session calls it at the end of the data, before it looks at the
// errors of the body (transfer.go, finish).
func (b *body) flush() error {
	if b.file == nil || len(b.mem) == 0 {
		return nil
	}
	_, err := b.file.Write(b.mem)
	b.mem = b.mem[:0]
	return err
}

// reader returns the body for Delivery: an io.Reader that is also an
// io.ReaderAt and an io.Seeker.
func (b *body) reader() io.Reader {
	if b.file != nil {
		if err := b.flush(); err != nil { // flushed already by finish
			return errReader{err}
		}
		return io.NewSectionReader(b.file, 0, b.size)
	}
	return bytes.NewReader(b.mem)
}

// reset drops the body (removing a temporary file) and keeps the memory
// buffer for the next transaction, unless it grew large.
func (b *body) reset() {
	if b.file != nil {
		b.file.Close()
		os.Remove(b.file.Name())
		b.file = nil
	}
	if cap(b.mem) > 64<<10 {
		b.mem = nil
	}
	b.mem = b.mem[:0]
	b.size = 0
}

// errReader is a body that could not be written out: reading it fails.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
