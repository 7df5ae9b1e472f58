package imapd

import (
	"sort"
	"strconv"
	"strings"
)

// star stands for "*" in a parsed sequence set until it is resolved
// against a mailbox view (RFC 9051 §9 seq-number).
const star = 0

// numRange is "a:b" with a <= b after normalisation; star is "*".
type numRange struct{ lo, hi uint32 }

// numSet is a sequence set or UID set as parsed (RFC 9051 §9 sequence-set),
// or "$" (RFC 5182 SEARCHRES) when saved is true.
type numSet struct {
	ranges []numRange
	saved  bool
}

// parseNumSet reads a sequence-set or "$".
func (r *reader) numSet() (numSet, error) {
	if r.peek() == '$' {
		r.pos++
		return numSet{saved: true}, nil
	}
	var s numSet
	for {
		lo, err := r.seqNumber()
		if err != nil {
			return s, err
		}
		hi := lo
		if r.peek() == ':' {
			r.pos++
			if hi, err = r.seqNumber(); err != nil {
				return s, err
			}
		}
		s.ranges = append(s.ranges, numRange{lo, hi})
		if r.peek() != ',' {
			return s, nil
		}
		r.pos++
	}
}

func (r *reader) seqNumber() (uint32, error) {
	if r.peek() == '*' {
		r.pos++
		return star, nil
	}
	return r.nzNumber32()
}

// resolve turns star into max and orders each range.
func (s numSet) resolve(max uint32) []numRange {
	out := make([]numRange, 0, len(s.ranges))
	for _, rg := range s.ranges {
		if rg.lo == star {
			rg.lo = max
		}
		if rg.hi == star {
			rg.hi = max
		}
		if rg.lo > rg.hi {
			rg.lo, rg.hi = rg.hi, rg.lo
		}
		out = append(out, rg)
	}
	return out
}

// contains reports whether n is in the resolved ranges.
func containsNum(rs []numRange, n uint32) bool {
	for _, rg := range rs {
		if n >= rg.lo && n <= rg.hi {
			return true
		}
	}
	return false
}

// formatUIDs writes ascending numbers as a compact sequence set (the form
// of COPYUID, APPENDUID, VANISHED and ESEARCH ALL).
func formatNums[T ~uint32](ns []T) string {
	if len(ns) == 0 {
		return ""
	}
	sorted := make([]uint32, len(ns))
	for i, n := range ns {
		sorted[i] = uint32(n)
	}
	if !sort.SliceIsSorted(sorted, func(i, j int) bool { return sorted[i] < sorted[j] }) {
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	}
	var b strings.Builder
	start, prev := sorted[0], sorted[0]
	flush := func() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(start), 10))
		if prev != start {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(prev), 10))
		}
	}
	for _, n := range sorted[1:] {
		if n == prev || n == prev+1 {
			prev = n
			continue
		}
		flush()
		start, prev = n, n
	}
	flush()
	return b.String()
}

// formatOrdered writes numbers in the given order (COPYUID pairs source
// and destination UIDs position by position, RFC 4315 §3), merging only
// ascending runs.
func formatOrdered[T ~uint32](ns []T) string {
	var b strings.Builder
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(ns[i]), 10))
		if j > i {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(ns[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}
