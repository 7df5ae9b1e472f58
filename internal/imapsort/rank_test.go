package imapsort

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortOneStringKey: Sort on one string key (ranks and a counting
// sort) orders as comparing the strings does, REVERSE reversing the key
// and not the ties, ties by Index also when Index is not the order of
// msgs, with strings that share 8-octet prefixes, differ past them, end
// inside them or hold NUL and high octets.
func TestSortOneStringKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "A", "AB", "ABCDEFGH", "ABCDEFGHI", "ABCDEFGHJ", "ABCDEFG\x00", "\xc3\x89T\xc3\x89", "Z", "ABCDEFGHIJKLMNOP"}
	for round := range 50 {
		msgs := make([]Msg, 200)
		idx := r.Perm(len(msgs))
		for i := range msgs {
			msgs[i].Index = i
			if round%2 == 1 {
				msgs[i].Index = idx[i] // not the order of msgs
			}
			msgs[i].Base = pieces[r.IntN(len(pieces))] + pieces[r.IntN(len(pieces))]
			msgs[i].Str[strKey(From)] = pieces[r.IntN(len(pieces))]
		}
		for _, k := range []Key{Subject, From} {
			for _, rev := range []bool{false, true} {
				got := Sort(msgs, []Criterion{{Key: k, Reverse: rev}})
				want := make([]int32, len(msgs))
				for i := range want {
					want[i] = int32(i)
				}
				slices.SortFunc(want, func(i, j int32) int {
					a, b := msgs[i].Base, msgs[j].Base
					if k == From {
						a, b = msgs[i].Str[strKey(From)], msgs[j].Str[strKey(From)]
					}
					c := strings.Compare(a, b)
					if rev {
						c = -c
					}
					if c != 0 {
						return c
					}
					return cmp.Compare(msgs[i].Index, msgs[j].Index)
				})
				if !slices.Equal(got, want) {
					t.Fatalf("round %d key %d reverse %v:\n got %v\nwant %v", round, k, rev, got, want)
				}
			}
		}
	}
}

// TestSortRankedSuperset: ranks computed over a superset of the
// messages (a cached mailbox) order the subset as Sort does, for one
// string key and for several keys mixing strings and numbers.
func TestSortRankedSuperset(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	words := []string{"ALPHA", "BETA", "GAMMA", "ALPHABET", "", "DELTA"}
	all := make([]Msg, 300)
	for i := range all {
		all[i] = Msg{Index: i, Sent: int64(r.IntN(20)), Base: words[r.IntN(len(words))] + words[r.IntN(len(words))]}
		all[i].Str[strKey(To)] = words[r.IntN(len(words))]
	}
	var sub []Msg
	var pos []int
	for i := range all {
		if r.IntN(3) == 0 {
			m := all[i]
			m.Index = len(sub)
			sub, pos = append(sub, m), append(pos, i)
		}
	}
	ranked := func(k Key) []int32 {
		full := NewRanking(all, k).Of
		out := make([]int32, len(pos))
		for j, i := range pos {
			out[j] = full[i]
		}
		return out
	}
	for _, crit := range [][]Criterion{{{Key: Subject}}, {{Key: Subject, Reverse: true}}, {{Key: To}, {Key: Date, Reverse: true}},
		{{Key: Date}, {Key: Subject, Reverse: true}, {Key: To}}} {
		if got, want := SortRanked(sub, crit, ranked), Sort(sub, crit); !slices.Equal(got, want) {
			t.Errorf("%v:\n got %v\nwant %v", crit, got, want)
		}
	}
}

// TestRankingExtend: a ranking extended by messages, some with new
// values sorting among the old ones, equals the ranking of all of them.
func TestRankingExtend(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	words := []string{"ALPHA", "BETA", "GAMMA", "ALPHABET", "", "DELTA", "ZULU", "A"}
	msgs := make([]Msg, 120)
	for i := range msgs {
		msgs[i].Base = words[r.IntN(len(words))] + words[r.IntN(len(words))]
		if i < 60 && strings.Contains(msgs[i].Base, "ZULU") {
			msgs[i].Base = "BETA"
		}
	}
	for _, cut := range []int{0, 1, 60, 119, 120} {
		rk := NewRanking(msgs[:cut], Subject)
		rk.Extend(msgs[cut:])
		if want := NewRanking(msgs, Subject); !slices.Equal(rk.Of, want.Of) || !slices.Equal(rk.values, want.values) {
			t.Errorf("cut %d: ranks %v\nwant %v", cut, rk.Of, want.Of)
		}
	}
}

// TestByRanks: positions by rank, ties by position whichever the
// direction (RFC 5256 §3: REVERSE does not reverse the tie order).
func TestByRanks(t *testing.T) {
	ranks := []int32{2, 0, 2, 1, 0}
	if got := ByRanks(ranks, false); !slices.Equal(got, []int32{1, 4, 3, 0, 2}) {
		t.Errorf("ascending: %v", got)
	}
	if got := ByRanks(ranks, true); !slices.Equal(got, []int32{0, 2, 3, 1, 4}) {
		t.Errorf("reverse: %v", got)
	}
	if got := ByRanks(nil, false); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}
