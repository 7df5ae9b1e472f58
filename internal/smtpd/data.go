package smtpd

import (
	"bufio"
	"bytes"
	"io"
)

// readerState is where the message reader stands in its input.
type readerState uint8

const (
	stLineStart readerState = iota // after CRLF (or at the start of DATA)
	stDot                          // after CRLF "."
	stDotCR                        // after CRLF "." CR
	stText                         // inside a line
	stCR                           // after a CR inside a line
)

// msgReader turns the octets of DATA (RFC 5321 §4.1.1.4, §4.5.2) or of BDAT
// chunks (RFC 3030, raw) into the message as stored:
//
//   - only CR LF "." CR LF ends DATA; a bare LF or a bare CR never starts a
//     line, neither for the terminator nor for dot-unstuffing, so
//     "\n.\n", "\n.\r\n", "\r\n.\n" and "\r.\r" do not end the data (SMTP
//     smuggling);
//   - a line (after CR LF) starting with "." loses that dot (§4.5.2);
//   - a bare LF and a bare CR are written as CR LF;
//   - a NUL octet is noted (the message is then refused);
//   - past max output octets nothing more is written, but the input is
//     still consumed to the end of the data.
//
// The output limit and errors are sticky: feed never fails, so the session
// stays in step with the client whatever happens to the body.
type msgReader struct {
	st   readerState
	dots bool // DATA: dot-stuffing and the terminator; BDAT: raw
	out  io.Writer
	max  int64

	crlf [2]byte

	size int64 // octets of output, counted past max too
	over bool  // size went past max
	nul  bool  // a NUL octet was seen
	err  error // the first write error of out
}

func newMsgReader(out io.Writer, max int64, dots bool) *msgReader {
	st := stText
	if dots {
		st = stLineStart
	}
	return &msgReader{st: st, dots: dots, out: out, max: max, crlf: [2]byte{'\r', '\n'}}
}

// feed consumes p and reports how many octets it used; with done, the
// terminator ended at p[n-1] and the rest of p was not used.
func (z *msgReader) feed(p []byte) (n int, done bool) {
	i := 0
	for i < len(p) {
		c := p[i]
		switch z.st {
		case stText:
			j := bytes.IndexAny(p[i:], "\r\n\x00")
			if j < 0 {
				z.emit(p[i:])
				return len(p), false
			}
			z.emit(p[i : i+j])
			i += j
			z.special(p[i : i+1])
		case stCR:
			if c == '\n' {
				z.emit(z.crlf[:])
				z.st = z.lineStart()
			} else {
				z.emit(z.crlf[:]) // bare CR; c is read again inside the line
				z.st = stText
				continue
			}
		case stLineStart:
			if c != '.' {
				z.st = stText
				continue
			}
			z.st = stDot
		case stDot:
			if c != '\r' {
				z.st = stText // the stuffed dot is dropped; c is text
				continue
			}
			z.st = stDotCR
		case stDotCR:
			if c == '\n' {
				return i + 1, true
			}
			z.emit(z.crlf[:]) // ".", bare CR: the dot is dropped, CR is text
			z.st = stText
			continue
		}
		i++
	}
	return len(p), false
}

// special handles CR, LF or NUL (c, one octet) inside a line.
func (z *msgReader) special(c []byte) {
	switch c[0] {
	case '\r':
		z.st = stCR
	case '\n':
		z.emit(z.crlf[:]) // bare LF
	case 0:
		z.nul = true
		z.emit(c)
	}
}

func (z *msgReader) lineStart() readerState {
	if z.dots {
		return stLineStart
	}
	return stText
}

// end finishes a BDAT body: a CR left at the end was bare.
func (z *msgReader) end() {
	if z.st == stCR {
		z.emit(z.crlf[:])
	}
	z.st = stText
}

func (z *msgReader) emit(p []byte) {
	z.size += int64(len(p))
	if z.over || z.size > z.max {
		z.over = true
		return
	}
	if z.err == nil {
		_, z.err = z.out.Write(p)
	}
}

// readData feeds z from br until the end-of-data terminator.
func readData(br *bufio.Reader, z *msgReader) error {
	for {
		if _, err := br.Peek(1); err != nil {
			return err
		}
		p, _ := br.Peek(br.Buffered())
		n, done := z.feed(p)
		br.Discard(n)
		if done {
			return nil
		}
	}
}

// readChunk feeds z exactly n octets of BDAT data from br.
func readChunk(br *bufio.Reader, z *msgReader, n int64) error {
	for n > 0 {
		if _, err := br.Peek(1); err != nil {
			return err
		}
		p, _ := br.Peek(int(min(int64(br.Buffered()), n)))
		z.feed(p)
		br.Discard(len(p))
		n -= int64(len(p))
	}
	return nil
}
