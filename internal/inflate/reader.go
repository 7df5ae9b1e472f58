package inflate

import (
	"errors"
	"io"
	"sync"
)

// ErrCorrupt is a stream that is not valid DEFLATE (RFC 1951).
var ErrCorrupt = errors.New("inflate: invalid deflate stream")

const (
	windowSize = 32 << 10 // the farthest a match refers back (RFC 1951 §2.3.2)
	maxMatch   = 258
	// maxOut bounds the octets one Read decodes: what it returns, never
	// more than half the window, so that undelivered output is never
	// overwritten.
	maxOut    = windowSize / 2
	inBufSize = 4 << 10
	minWindow = 512
)

// inBufs holds the input buffers of the Readers that are reading.
var inBufs = sync.Pool{New: func() any { return new([inBufSize]byte) }}

// Decoder states.
const (
	stHeader = iota // at a block header
	stStored        // in a stored block: stored octets left
	stCodes         // in a compressed block: lit and dist are its codes
	stEnd           // after the final block
)

// Reader decodes a raw DEFLATE stream read from src.
type Reader struct {
	src io.Reader
	buf *[inBufSize]byte // nil while no input is held
	beg int              // buf[beg:end] is input not consumed yet
	end int
	bit uint32 // bits read from input and not used yet, low first
	nb  uint   // how many: always < 8 between steps

	win  []byte // the last len(win) decoded octets, a ring once full
	wpos uint64 // octets decoded
	rpos uint64 // octets returned by Read

	state  int
	final  bool
	stored int
	lit    *huffman // the current block's codes: the fixed ones or these
	dist   *huffman
	dynLit huffman
	dynDst huffman
	litSym [fixLCodes]uint16
	dstSym [maxDCodes]uint16
	err    error // sticky: ErrCorrupt, io.EOF after the final block
}

// NewReader returns a Reader of the stream that src delivers.
func NewReader(src io.Reader) *Reader {
	r := &Reader{src: src}
	r.dynLit.symbol, r.dynDst.symbol = r.litSym[:], r.dstSym[:]
	return r
}

// Release gives the input buffer back when it holds no input; a Reader
// that waits for its peer keeps only its window. The steps that decode
// nothing and that the input holds whole are taken first (the end of a
// block and the empty stored block of a sync flush that follow a
// command), so that they do not keep the buffer.
func (r *Reader) Release() {
	for r.beg < r.end && r.err == nil && r.wpos == r.rpos {
		beg, bit, nb := r.beg, r.bit, r.nb
		if !r.step() {
			r.beg, r.bit, r.nb = beg, bit, nb
			break
		}
	}
	if r.buf != nil && r.beg == r.end {
		inBufs.Put(r.buf)
		r.buf, r.beg, r.end = nil, 0, 0
	}
}

// Buffered reports whether input or decoded octets are held that a Read
// returns without reading src.
func (r *Reader) Buffered() bool { return r.beg < r.end || r.wpos > r.rpos }

// Read decodes into p. It returns what is decoded as soon as the input
// read so far is used up, reading src only when it has nothing to return.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	want := uint64(min(len(p), maxOut))
	for r.wpos == r.rpos {
		if r.err != nil {
			return 0, r.err
		}
		if r.decode(want) {
			continue
		}
		if r.wpos > r.rpos {
			break
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	return r.copyOut(p), nil
}

// decode runs steps until want octets are decoded, the stream ends or
// fails (true), or the input runs short (false), the step that ran short
// undone.
func (r *Reader) decode(want uint64) bool {
	for r.wpos-r.rpos < want && r.err == nil {
		beg, bit, nb := r.beg, r.bit, r.nb
		if !r.step() {
			r.beg, r.bit, r.nb = beg, bit, nb
			return false
		}
	}
	return true
}

// fill reads more input from src, waiting for its first octet without a
// buffer when none is held.
func (r *Reader) fill() error {
	if r.buf == nil {
		var one [1]byte
		n, err := r.src.Read(one[:])
		if n == 0 {
			return r.srcErr(err)
		}
		r.buf = inBufs.Get().(*[inBufSize]byte)
		r.buf[0], r.beg, r.end = one[0], 0, 1
		return nil
	}
	if r.beg > 0 {
		r.end = copy(r.buf[:], r.buf[r.beg:r.end])
		r.beg = 0
	}
	if r.end == len(r.buf) { // a step longer than the buffer: no valid stream has one
		r.err = ErrCorrupt
		return r.err
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	if n == 0 {
		return r.srcErr(err)
	}
	return nil
}

// srcErr is the error of a read of src that returned nothing: the end of
// the input in the middle of the stream is io.ErrUnexpectedEOF unless it
// comes between blocks.
func (r *Reader) srcErr(err error) error {
	switch {
	case err == nil:
		return io.ErrNoProgress
	case err == io.EOF && (r.state != stHeader || r.beg < r.end || r.nb > 0 && r.bit != 0):
		return io.ErrUnexpectedEOF
	}
	return err
}

// copyOut copies decoded octets to p.
func (r *Reader) copyOut(p []byte) int {
	n := 0
	for n < len(p) && r.rpos < r.wpos {
		i := int(r.rpos % uint64(len(r.win)))
		end := len(r.win)
		if avail := r.wpos - r.rpos; uint64(end-i) > avail {
			end = i + int(avail)
		}
		c := copy(p[n:], r.win[i:end])
		n += c
		r.rpos += uint64(c)
	}
	return n
}

// bits returns the next n (≤ 16) bits; false when the input is short.
func (r *Reader) bits(n uint) (uint32, bool) {
	for r.nb < n {
		if r.beg == r.end {
			return 0, false
		}
		r.bit |= uint32(r.buf[r.beg]) << r.nb
		r.beg++
		r.nb += 8
	}
	v := r.bit & (1<<n - 1)
	r.bit >>= n
	r.nb -= n
	return v, true
}

// symbol decodes one symbol of h; -1 for a code h does not have.
func (r *Reader) symbol(h *huffman) (int, bool) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxBits; l++ {
		b, ok := r.bits(1)
		if !ok {
			return 0, false
		}
		code |= int(b)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), true
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return -1, true
}

// put appends one decoded octet to the window, growing it until it holds
// windowSize octets.
func (r *Reader) put(c byte) {
	if r.wpos == uint64(len(r.win)) && len(r.win) < windowSize {
		w := make([]byte, min(max(2*len(r.win), minWindow), windowSize))
		copy(w, r.win)
		r.win = w
	}
	r.win[r.wpos%uint64(len(r.win))] = c
	r.wpos++
}

func (r *Reader) fail() bool {
	r.err = ErrCorrupt
	return true
}
