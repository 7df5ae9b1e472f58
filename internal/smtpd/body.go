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
	if b.file != nil {
		n, err := b.file.Write(p)
		b.size += int64(n)
		return n, err
	}
	b.mem = append(b.mem, p...)
	b.size += int64(len(p))
	return len(p), nil
}

// spill moves the body to a temporary file.
func (b *body) spill() error {
	f, err := spool.CreateTemp(b.dir, "smtpd-*.eml")
	if err != nil {
		return err
	}
	if _, err := f.Write(b.mem); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	b.file = f
	b.mem = b.mem[:0]
	return nil
}

// reader returns the body for Delivery: an io.Reader that is also an
// io.ReaderAt and an io.Seeker.
func (b *body) reader() io.Reader {
	if b.file != nil {
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
