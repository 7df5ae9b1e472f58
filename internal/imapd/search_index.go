package imapd

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// textSearcher is the store's full-text index (store.TextIndex), when
// it has one.
type textSearcher interface {
	SearchText(ctx context.Context, mailbox store.MailboxID, q store.TextQuery) (store.TextHits, error)
}

// useTextIndex rewrites the text keys of k that the full-text index
// answers (imapmsg.TextPlan; docs/architecture.md §Full-text index): a key
// becomes the UIDs whose index text holds its string, which the index
// finds exactly as imapmsg.Match would; when some messages are not in
// the index, those UIDs OR (the unindexed UIDs AND the key), so that only
// the unindexed messages are read. The answer is the same as without the
// index. It returns the UIDs of the view that can match k.
func (s *session) useTextIndex(k *imapmsg.SearchKey) []store.UID {
	s.relevancy = nil
	ts, ok := s.srv.st.(textSearcher)
	if !ok || !s.rewriteText(ts, k) {
		return s.v.uids
	}
	if k.Kind == imapmsg.SortedUIDs { // the index answered the whole key
		return inRanges(s.v.uids, k.UIDs)
	}
	in, ok := candidates(k)
	if !ok {
		return s.v.uids
	}
	var out []store.UID
	for _, u := range s.v.uids {
		if in(u) {
			out = append(out, u)
		}
	}
	return out
}

// rewriteText rewrites k and its children; it reports whether it
// rewrote any key.
func (s *session) rewriteText(ts textSearcher, k *imapmsg.SearchKey) bool {
	if k.Kind == imapmsg.Fuzzy && len(k.Children) == 1 {
		if q, ok := imapmsg.FuzzyPlan(k.Children[0].Kind, k.Children[0].Text); ok {
			scan := fuzzyScan(k.Children[0], q)
			return s.askIndex(ts, k, &scan, q)
		}
	}
	done := false
	for i := range k.Children {
		done = s.rewriteText(ts, &k.Children[i]) || done
	}
	q, ok := imapmsg.TextPlan(k.Kind, k.Text)
	if !ok {
		return done
	}
	return s.askIndex(ts, k, k, q) || done
}

// askIndex replaces k by the index's answer to q; orig is the key that
// the messages the index does not hold must match. It keeps the ranks of
// a fuzzy query for RELEVANCY.
func (s *session) askIndex(ts textSearcher, k, orig *imapmsg.SearchKey, q store.TextQuery) bool {
	hits, err := ts.SearchText(s.ctx, s.v.mb.ID, q)
	if err != nil {
		return false // the messages are read instead
	}
	for i, r := range hits.Rank {
		if s.relevancy == nil {
			s.relevancy = relevancy{}
		}
		s.relevancy[hits.Sure[i]] = max(s.relevancy[hits.Sure[i]], r)
	}
	sure := imapmsg.SearchKey{Kind: imapmsg.SortedUIDs, UIDs: uidRanges(hits.Sure)}
	if len(hits.Maybe) == 0 {
		*k = sure
		return true
	}
	maybe := imapmsg.SearchKey{Kind: imapmsg.SortedUIDs, UIDs: uidRanges(hits.Maybe)}
	*k = imapmsg.SearchKey{Kind: imapmsg.Or, Children: []imapmsg.SearchKey{sure,
		{Kind: imapmsg.And, Children: []imapmsg.SearchKey{maybe, *orig}}}}
	return true
}

// fuzzyScan is the key that the messages the index does not hold (yet:
// it is written in the background) must match for FUZZY key k, so that
// they match as they will once indexed (README "Full-text search"): every
// word of q, each as k's key.
func fuzzyScan(k imapmsg.SearchKey, q store.TextQuery) imapmsg.SearchKey {
	all := imapmsg.SearchKey{Kind: imapmsg.And}
	for _, w := range strings.Fields(q.Needle) {
		c := k
		c.Text = w
		all.Children = append(all.Children, c)
	}
	return all
}

// relevancy holds the rank of each message a FUZZY key found, by UID.
type relevancy map[store.UID]float64

// scores is the RELEVANCY list of the matches (RFC 6203 §4): from 1 to
// 100, 100 for the best rank, in proportion below; a match no fuzzy key
// ranked (found by another key, or read because it is not in the index)
// scores 100.
func (r relevancy) scores(matched []store.UID) string {
	best := 0.0
	for _, u := range matched {
		best = max(best, r[u])
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, u := range matched {
		if i > 0 {
			b.WriteByte(' ')
		}
		score := 100
		if rank, ok := r[u]; ok && best > 0 {
			score = max(1, int(math.Round(100*rank/best)))
		}
		b.WriteString(strconv.Itoa(score))
	}
	return b.String() + ")"
}

// hasFuzzy reports whether k holds a FUZZY key.
func hasFuzzy(k *imapmsg.SearchKey) bool {
	if k.Kind == imapmsg.Fuzzy {
		return true
	}
	return slices.ContainsFunc(k.Children, func(c imapmsg.SearchKey) bool { return hasFuzzy(&c) })
}

// inRanges are the uids (ascending) in the ranges rs (ascending,
// disjoint), in one walk of both.
func inRanges(uids []store.UID, rs []imapmsg.UIDRange) []store.UID {
	var out []store.UID
	i := 0
	for _, r := range rs {
		i += sort.Search(len(uids)-i, func(j int) bool { return uids[i+j] >= r.Lo })
		for i < len(uids) && uids[i] <= r.Hi {
			out = append(out, uids[i])
			i++
		}
	}
	return out
}

// uidRanges turns ascending UIDs into ascending, disjoint ranges.
func uidRanges(uids []store.UID) []imapmsg.UIDRange {
	var out []imapmsg.UIDRange
	for _, u := range uids {
		if n := len(out); n > 0 && (out[n-1].Hi == u || out[n-1].Hi+1 == u) {
			out[n-1].Hi = u
			continue
		}
		out = append(out, imapmsg.UIDRange{Lo: u, Hi: u})
	}
	if out == nil {
		out = []imapmsg.UIDRange{} // matches nothing
	}
	return out
}

// candidates is a test that every UID matching k passes (ok is false
// when k does not narrow them): the index's UIDs, through AND and OR.
func candidates(k *imapmsg.SearchKey) (in func(store.UID) bool, ok bool) {
	switch k.Kind {
	case imapmsg.SortedUIDs:
		rs := k.UIDs
		return func(u store.UID) bool { return imapmsg.InSortedRanges(rs, u) }, true
	case imapmsg.And:
		var tests []func(store.UID) bool
		for i := range k.Children {
			if t, ok := candidates(&k.Children[i]); ok {
				tests = append(tests, t)
			}
		}
		if len(tests) == 0 {
			return nil, false
		}
		return func(u store.UID) bool {
			for _, t := range tests {
				if !t(u) {
					return false
				}
			}
			return true
		}, true
	case imapmsg.Or:
		var tests []func(store.UID) bool
		for i := range k.Children {
			t, ok := candidates(&k.Children[i])
			if !ok {
				return nil, false
			}
			tests = append(tests, t)
		}
		return func(u store.UID) bool {
			for _, t := range tests {
				if t(u) {
					return true
				}
			}
			return false
		}, len(tests) > 0
	}
	return nil, false
}
