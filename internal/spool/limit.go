package spool

import (
	"errors"
	"io"
	"math"
)

// ErrTooLarge is returned by a LimitReader once its source holds more than
// the limit.
var ErrTooLarge = errors.New("spool: data exceeds the size limit")

// LimitReader returns a reader that reads r up to n bytes. Reading exactly n
// bytes and then EOF is fine; as soon as r turns out to hold more than n
// bytes, Read returns ErrTooLarge (along with the bytes up to the limit),
// and keeps returning it. Of r it consumes at most what the caller asked
// for, so the caller can still drain the rest of r (for example
// io.Copy(io.Discard, r) to the end of an SMTP DATA) and then reply.
func LimitReader(r io.Reader, n int64) io.Reader {
	return &limitReader{r: r, left: max(n, 0)}
}

type limitReader struct {
	r    io.Reader
	left int64 // bytes that may still be read
	err  error // sticky ErrTooLarge
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Ask for one byte past the limit, to tell "exactly n" from "more".
	if l.left < math.MaxInt64 && int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		n = int(l.left)
		l.left = 0
		l.err = ErrTooLarge
		return n, l.err
	}
	l.left -= int64(n)
	return n, err
}
