package spool

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLimitReaderWithinLimit(t *testing.T) {
	for _, size := range []int{0, 1, 99, 100} {
		data := strings.Repeat("x", size)
		got, err := io.ReadAll(LimitReader(strings.NewReader(data), 100))
		if err != nil || string(got) != data {
			t.Errorf("size %d: ReadAll = %d bytes, %v; want all, nil", size, len(got), err)
		}
	}
}

func TestLimitReaderTooLarge(t *testing.T) {
	for _, size := range []int{101, 102, 5000} {
		src := strings.NewReader(strings.Repeat("y", size))
		lr := LimitReader(src, 100)
		got, err := io.ReadAll(lr)
		if !errors.Is(err, ErrTooLarge) || len(got) != 100 {
			t.Errorf("size %d: ReadAll = %d bytes, %v; want 100, ErrTooLarge", size, len(got), err)
		}
		if n, err := lr.Read(make([]byte, 10)); n != 0 || err != ErrTooLarge {
			t.Errorf("size %d: Read after the limit = %d, %v; want sticky ErrTooLarge", size, n, err)
		}
		// The first read asked for limit+1 bytes; the caller can drain the rest.
		rest, err := io.Copy(io.Discard, src)
		if err != nil || rest != int64(size-101) || src.Len() != 0 {
			t.Errorf("size %d: drained %d, %v; source left %d", size, rest, err, src.Len())
		}
	}
}

// The limit holds however the source splits its data and however small the
// caller's buffer is.
func TestLimitReaderSmallReads(t *testing.T) {
	data := []byte(strings.Repeat("z", 10))
	got, err := io.ReadAll(LimitReader(iotest.OneByteReader(bytes.NewReader(data)), 10))
	if err != nil || len(got) != 10 {
		t.Errorf("exact: %d, %v", len(got), err)
	}
	lr := LimitReader(iotest.HalfReader(bytes.NewReader(data)), 9)
	var total int
	buf := make([]byte, 1)
	for {
		n, err := lr.Read(buf)
		total += n
		if err != nil {
			if err != ErrTooLarge || total != 9 {
				t.Errorf("one-byte reads: %d bytes then %v; want 9, ErrTooLarge", total, err)
			}
			break
		}
	}
}

// Of the source, the reader consumes no more than the caller asked for, and
// never more than one byte past the limit in the read that trips it.
func TestLimitReaderConsumesLittle(t *testing.T) {
	src := strings.NewReader(strings.Repeat("a", 1000))
	lr := LimitReader(src, 10)
	n, err := lr.Read(make([]byte, 500))
	if n != 10 || err != ErrTooLarge {
		t.Fatalf("Read = %d, %v; want 10, ErrTooLarge", n, err)
	}
	if src.Len() != 989 {
		t.Errorf("source has %d bytes left, want 989", src.Len())
	}
}

func TestLimitReaderPassesErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := io.ReadAll(LimitReader(iotest.ErrReader(boom), 10))
	if err != boom {
		t.Errorf("err = %v, want boom", err)
	}
	if got, err := io.ReadAll(LimitReader(strings.NewReader("x"), -5)); err != ErrTooLarge || len(got) != 0 {
		t.Errorf("negative limit: %q, %v; want nothing, ErrTooLarge", got, err)
	}
}
