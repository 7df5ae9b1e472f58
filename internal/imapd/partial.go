package imapd

import "strconv"

// partialRange is the range of a PARTIAL return option (RFC 9394 §3.1):
// results first to last (1-based) of the whole result, counted from its
// end when fromEnd ("-1:-100" is the last hundred).
type partialRange struct {
	first, last uint32
	fromEnd     bool
}

// partialRange reads partial-range = partial-range-first / partial-range-last
// (RFC 9394 §4: nz-number32 ":" nz-number32, "-" nz-number32 ":" "-"
// nz-number32), after the SP that follows PARTIAL.
func (r *reader) partialRange(p *partialRange) error {
	if err := r.sp(); err != nil {
		return err
	}
	p.fromEnd = r.peek() == '-'
	bound := func() (uint32, error) {
		if p.fromEnd {
			if err := r.expect('-'); err != nil {
				return 0, err
			}
		}
		return r.nzNumber32()
	}
	a, err := bound()
	if err != nil {
		return err
	}
	if err := r.expect(':'); err != nil {
		return err
	}
	b, err := bound()
	if err != nil {
		return err
	}
	p.first, p.last = min(a, b), max(a, b)
	return nil
}

// checkPartial refuses PARTIAL with ALL, and PARTIAL twice (RFC 9394
// §3.1: they are mutually exclusive).
func checkPartial(ret []string) error {
	n, all := 0, false
	for _, o := range ret {
		n += map[bool]int{true: 1}[o == "PARTIAL"]
		all = all || o == "ALL"
	}
	if n > 1 || n == 1 && all {
		return errSyntax("PARTIAL goes alone, without ALL")
	}
	return nil
}

// window is the positions [lo, hi) of a result list of n the range
// takes; lo >= hi when none.
func (p partialRange) window(n int) (lo, hi int) {
	lo, hi = int(p.first)-1, int(p.last)
	if p.fromEnd {
		lo, hi = n-int(p.last), n-int(p.first)+1
	}
	return max(lo, 0), min(hi, n)
}

// result is the PARTIAL response of a result list in its order:
// "(" range SP (sequence-set / "NIL") ")" (RFC 9394 §4).
func (p partialRange) result(nums []uint32) string {
	rng := strconv.FormatUint(uint64(p.first), 10) + ":" + strconv.FormatUint(uint64(p.last), 10)
	if p.fromEnd {
		rng = "-" + strconv.FormatUint(uint64(p.first), 10) + ":-" + strconv.FormatUint(uint64(p.last), 10)
	}
	lo, hi := p.window(len(nums))
	if lo >= hi {
		return "(" + rng + " NIL)"
	}
	return "(" + rng + " " + formatOrdered(nums[lo:hi]) + ")"
}
