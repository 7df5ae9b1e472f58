package inflate

// Canonical Huffman codes (RFC 1951 §3.2.2), decoded bit by bit from the
// count of codes of each length: the codes of one length are consecutive
// numbers, so a few comparisons per bit find the symbol, with tables of a
// few hundred octets.

const (
	maxBits   = 15  // longest code
	maxLCodes = 286 // literal/length codes (RFC 1951 §3.2.5)
	maxDCodes = 30  // distance codes
	fixLCodes = 288 // literal/length codes of the fixed code (§3.2.6)
)

// huffman is one code: how many codes have each length, and the symbols
// ordered by code.
type huffman struct {
	count  [maxBits + 1]uint16
	symbol []uint16
}

// build makes the code of the given lengths (one per symbol, 0 unused)
// and returns how many codes are left over: 0 for a complete code, > 0
// for an incomplete one, < 0 for an over-subscribed (invalid) one.
func (h *huffman) build(lengths []uint8) int {
	h.count = [maxBits + 1]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	if int(h.count[0]) == len(lengths) {
		return 0 // no codes: complete, and decode finds none
	}
	left := 1
	for l := 1; l <= maxBits; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return left
		}
	}
	var offs [maxBits + 2]uint16
	for l := 1; l <= maxBits; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = h.symbol[:cap(h.symbol)]
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	return left
}

// fixedCodes builds the fixed literal/length and distance codes (RFC 1951
// §3.2.6).
func fixedCodes() (lit, dist *huffman) {
	var lengths [fixLCodes]uint8
	for i := range lengths {
		switch {
		case i < 144:
			lengths[i] = 8
		case i < 256:
			lengths[i] = 9
		case i < 280:
			lengths[i] = 7
		default:
			lengths[i] = 8
		}
	}
	lit = &huffman{symbol: make([]uint16, fixLCodes)}
	lit.build(lengths[:])
	for i := range maxDCodes {
		lengths[i] = 5
	}
	dist = &huffman{symbol: make([]uint16, maxDCodes)}
	dist.build(lengths[:maxDCodes])
	return lit, dist
}

// fixedLit and fixedDist are the fixed codes, built once and only read.
var fixedLit, fixedDist = fixedCodes()

// Base lengths and distances and their extra bits (RFC 1951 §3.2.5).
var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtr = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// clOrder is the order of the code length code's lengths (§3.2.7).
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)
