package inflate

import "io"

// step decodes one unit of the stream: a block header, up to maxMatch
// octets of a stored block, or one literal/length symbol with its
// distance. false: the input is short (the caller undoes the step).
func (r *Reader) step() bool {
	switch r.state {
	case stHeader:
		return r.header()
	case stStored:
		return r.storedData()
	case stCodes:
		return r.codes()
	}
	r.err = io.EOF
	return true
}

// header reads a block header (RFC 1951 §3.2.3), and the code
// definitions of a dynamic block (§3.2.7).
func (r *Reader) header() bool {
	v, ok := r.bits(3)
	if !ok {
		return false
	}
	r.final = v&1 == 1
	switch v >> 1 {
	case 0: // stored (§3.2.4): the rest of the current octet is skipped
		r.bit, r.nb = 0, 0
		if r.end-r.beg < 4 {
			return false
		}
		b := r.buf[r.beg : r.beg+4]
		n := int(b[0]) | int(b[1])<<8
		if n != ^(int(b[2])|int(b[3])<<8)&0xffff {
			return r.fail()
		}
		r.beg += 4
		r.stored, r.state = n, stStored
		if n == 0 {
			r.blockEnd()
		}
		return true
	case 1:
		r.lit, r.dist, r.state = fixedLit, fixedDist, stCodes
		return true
	case 2:
		return r.dynamic()
	}
	return r.fail()
}

// blockEnd ends the current block.
func (r *Reader) blockEnd() {
	r.state = stHeader
	if r.final {
		r.state = stEnd
	}
}

// storedData copies octets of a stored block.
func (r *Reader) storedData() bool {
	n := min(r.stored, r.end-r.beg, maxMatch)
	if n == 0 {
		return false
	}
	for _, c := range r.buf[r.beg : r.beg+n] {
		r.put(c)
	}
	r.beg += n
	r.stored -= n
	if r.stored == 0 {
		r.blockEnd()
	}
	return true
}

// codes decodes one literal, the end of the block, or a match (RFC 1951
// §3.2.5).
func (r *Reader) codes() bool {
	sym, ok := r.symbol(r.lit)
	switch {
	case !ok:
		return false
	case sym < 0:
		return r.fail()
	case sym < 256:
		r.put(byte(sym))
		return true
	case sym == 256:
		r.blockEnd()
		return true
	}
	sym -= 257
	if sym >= len(lenBase) {
		return r.fail()
	}
	e, ok := r.bits(uint(lenExtra[sym]))
	if !ok {
		return false
	}
	length := int(lenBase[sym]) + int(e)
	ds, ok := r.symbol(r.dist)
	if !ok {
		return false
	}
	if ds < 0 || ds >= len(distBase) {
		return r.fail()
	}
	e, ok = r.bits(uint(distExtr[ds]))
	if !ok {
		return false
	}
	d := uint64(distBase[ds]) + uint64(e)
	if d > r.wpos {
		return r.fail() // before the start of the stream
	}
	for range length {
		r.put(r.win[(r.wpos-d)%uint64(len(r.win))])
	}
	return true
}

// dynamic reads the code definitions of a dynamic block (RFC 1951
// §3.2.7).
func (r *Reader) dynamic() bool {
	v, ok := r.bits(14)
	if !ok {
		return false
	}
	nlen, ndist, ncode := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlen > maxLCodes || ndist > maxDCodes {
		return r.fail()
	}
	var lengths [maxLCodes + maxDCodes]uint8
	for i := range ncode {
		v, ok := r.bits(3)
		if !ok {
			return false
		}
		lengths[clOrder[i]] = uint8(v)
	}
	var clSym [19]uint16
	cl := huffman{symbol: clSym[:]}
	if cl.build(lengths[:19]) != 0 {
		return r.fail() // the code length code must be complete
	}
	if ok, bad := r.codeLengths(&cl, lengths[:nlen+ndist]); !ok || bad {
		return ok
	}
	if lengths[256] == 0 {
		return r.fail() // no end-of-block code
	}
	// An incomplete code is allowed only when it is a single code of
	// length one: a block with one distance (or one literal) needs it, and
	// compress/flate's reader accepts nothing else (FuzzReader compares).
	if left := r.dynLit.build(lengths[:nlen]); left < 0 || left > 0 && nlen-int(r.dynLit.count[0]) != 1 {
		return r.fail()
	}
	if left := r.dynDst.build(lengths[nlen : nlen+ndist]); left < 0 || left > 0 && ndist-int(r.dynDst.count[0]) != 1 {
		return r.fail()
	}
	r.lit, r.dist, r.state = &r.dynLit, &r.dynDst, stCodes
	return true
}

// codeLengths reads the literal/length and distance code lengths with the
// code length code cl. ok false: input short; bad: the stream is corrupt
// (r.err is set).
func (r *Reader) codeLengths(cl *huffman, lengths []uint8) (ok, bad bool) {
	for i := 0; i < len(lengths); {
		sym, ok := r.symbol(cl)
		if !ok {
			return false, false
		}
		if sym < 0 {
			r.fail()
			return true, true
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch sym {
		case 16: // repeat the previous length 3-6 times
			if i == 0 {
				r.fail()
				return true, true
			}
			val = lengths[i-1]
			if rep, ok = r.bits(2); !ok {
				return false, false
			}
			rep += 3
		case 17: // 3-10 zeros
			if rep, ok = r.bits(3); !ok {
				return false, false
			}
			rep += 3
		default: // 18: 11-138 zeros
			if rep, ok = r.bits(7); !ok {
				return false, false
			}
			rep += 11
		}
		if i+int(rep) > len(lengths) {
			r.fail()
			return true, true
		}
		for range rep {
			lengths[i] = val
			i++
		}
	}
	return true, false
}
