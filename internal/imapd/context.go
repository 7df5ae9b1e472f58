package imapd

import (
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/imapsort"
	"github.com/petrelmail/petrel/internal/store"
)

// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4). A SEARCH or SORT with
// the UPDATE return option leaves a context in the view: its key, its
// order and its result as the client last heard it. When the selected
// mailbox changes (this session's commands, another session's, another
// node's: all come through the change feed, as EXPUNGE and FETCH do),
// the messages that changed are searched again and the differences are
// sent as unsolicited ESEARCH responses tagged with the command's tag:
// REMOVEFROM, then ADDTO (§4.3). They go where an EXPUNGE may go (RFC
// 9051 §7.5.1), the removals of expunged messages just before the
// EXPUNGE or VANISHED responses, so that sequence numbers are the ones
// the client holds. The context lives until CANCELUPDATE names its tag,
// or the mailbox is closed. CONTEXT alone is a hint (§4.2): accepted,
// nothing is kept for it.
//
// Positions (§4.3, context-position): a SEARCH result has no order, so
// its position is 0. A SORT's pairs are one message each and apply in
// the order sent: REMOVEFROM gives each removed message's position in the
// list before the update, highest first; ADDTO gives each added
// message's position in the list after it, lowest first. A message's
// sort keys never change (they are its headers, size and arrival), so
// the messages that stay keep their relative order.
//
// With PARTIAL (RFC 9394 §3.1) the initial response is the page asked
// for; the updates are of the whole result, whose positions tell the
// client whether its page moved.

// maxContexts bounds the contexts a session keeps updated (RFC 5267
// §4.1); past it, the command is answered and NOUPDATE says that it will
// not be updated (README "IMAP").
const maxContexts = 8

// searchContext is one SEARCH or SORT kept updated.
type searchContext struct {
	tag string
	uid bool
	key imapmsg.SearchKey // resolved (UIDs), as before the search ran
	// crit is SORT's criteria; nil for a SEARCH.
	crit []imapsort.Criterion
	// result is what the client holds: ascending UIDs for a SEARCH, the
	// sort order for a SORT.
	result []store.UID
}

// startContext keeps the result of the command c updated, or sends
// NOUPDATE when the session has too many (RFC 5267 §4.1). A new context
// with the tag of an active one replaces it.
func (s *session) startContext(c *command, key imapmsg.SearchKey, crit []imapsort.Criterion, result []store.UID) {
	v := s.v
	if v == nil {
		return
	}
	v.contexts = slices.DeleteFunc(v.contexts, func(x *searchContext) bool { return x.tag == c.tag })
	if len(v.contexts) >= maxContexts {
		s.w.status("*", respNOCode(`NOUPDATE "`+c.tag+`"`, "Too many active updates"))
		return
	}
	v.contexts = append(v.contexts, &searchContext{tag: c.tag, uid: c.uid, key: key, crit: crit,
		result: slices.Clone(result)})
}

// cancelArgs are CANCELUPDATE's tags.
type cancelArgs struct{ tags []string }

// parseCancelUpdate reads "CANCELUPDATE" 1*(SP quoted) (RFC 5267 §5).
func parseCancelUpdate(_ *session, r *reader, _ *command, a *cancelArgs) error {
	for len(a.tags) == 0 || r.peek() == ' ' {
		if err := r.sp(); err != nil {
			return err
		}
		if r.peek() != '"' {
			return errSyntax("Expected a quoted tag")
		}
		t, err := r.quoted()
		if err != nil {
			return err
		}
		if len(a.tags) == maxContexts*4 {
			return errSyntax("Too many tags")
		}
		a.tags = append(a.tags, t)
	}
	return nil
}

// cmdCancelUpdate ends the updates of the contexts named (RFC 5267 §4.4).
// A tag that names none is BAD, and then none is cancelled.
func (s *session) cmdCancelUpdate(_ *command, a *cancelArgs) status {
	v := s.v
	for _, t := range a.tags {
		if !slices.ContainsFunc(v.contexts, func(x *searchContext) bool { return x.tag == t }) {
			return respBAD("No update is active for that tag")
		}
	}
	v.contexts = slices.DeleteFunc(v.contexts, func(x *searchContext) bool { return slices.Contains(a.tags, x.tag) })
	return respOK("CANCELUPDATE completed")
}

// noteTouched records messages whose match may have changed (new, or
// their flags changed), for the contexts' next update.
func (v *view) noteTouched(uids ...store.UID) {
	if len(v.contexts) == 0 {
		return
	}
	v.touched = append(v.touched, uids...)
	if len(v.touched) > 2*len(v.uids)+64 { // the same messages changing again and again
		slices.Sort(v.touched)
		v.touched = slices.Compact(v.touched)
	}
}

// contextExpunges sends REMOVEFROM for the messages about to be
// announced as expunged, while their sequence numbers still hold.
func (s *session) contextExpunges() {
	v := s.v
	if len(v.contexts) == 0 || len(v.pendingExp) == 0 {
		return
	}
	for _, cx := range v.contexts {
		s.contextRemove(cx, func(u store.UID) bool { return v.pendingExp[u] })
	}
}

// contextUpdates searches the touched messages again for each context
// and sends what entered and left its result.
func (s *session) contextUpdates() {
	v := s.v
	if len(v.touched) == 0 {
		return
	}
	slices.Sort(v.touched)
	touched := slices.Compact(v.touched)
	v.touched = nil
	touched = slices.DeleteFunc(touched, func(u store.UID) bool { return v.seqOf(u) == 0 })
	if len(touched) == 0 {
		return
	}
	for _, cx := range slices.Clone(v.contexts) {
		key := cloneKey(&cx.key)
		matched, _, st := s.searchIn(&key, touched, false)
		if st.kind != "" {
			// The client can no longer trust the result (RFC 5267 §4.1).
			s.w.status("*", respNOCode(`NOUPDATE "`+cx.tag+`"`, "Update failed"))
			v.contexts = slices.DeleteFunc(v.contexts, func(x *searchContext) bool { return x == cx })
			continue
		}
		in := make(map[store.UID]bool, len(matched))
		for _, u := range matched {
			in[u] = true
		}
		s.contextRemove(cx, func(u store.UID) bool {
			_, t := slices.BinarySearch(touched, u)
			return t && !in[u]
		})
		had := make(map[store.UID]bool, len(cx.result))
		for _, u := range cx.result {
			had[u] = true
		}
		var added []store.UID
		for _, u := range matched {
			if !had[u] {
				added = append(added, u)
			}
		}
		if len(added) > 0 {
			s.contextAdd(cx, added)
		}
	}
}

// contextRemove drops the members of cx's result that gone reports, and
// sends REMOVEFROM for them.
func (s *session) contextRemove(cx *searchContext, gone func(store.UID) bool) {
	var pos []int // 0-based positions in cx.result, ascending
	for i, u := range cx.result {
		if gone(u) {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return
	}
	var pairs []string
	if cx.crit == nil {
		nums := make([]uint32, len(pos))
		for j, i := range pos {
			nums[j] = s.contextNum(cx, cx.result[i])
		}
		pairs = []string{"0 " + formatNums(nums)}
	} else {
		for j := len(pos) - 1; j >= 0; j-- { // highest first: each stays valid
			pairs = append(pairs, strconv.Itoa(pos[j]+1)+" "+utoa(uint64(s.contextNum(cx, cx.result[pos[j]]))))
		}
	}
	s.writeContextData(cx, "REMOVEFROM", pairs)
	cx.result = slices.DeleteFunc(cx.result, gone)
}

// contextAdd puts added (ascending UIDs) into cx's result and sends
// ADDTO: one set at position 0 for a SEARCH, each message at its
// position in the new order for a SORT.
func (s *session) contextAdd(cx *searchContext, added []store.UID) {
	if cx.crit == nil {
		nums := make([]uint32, len(added))
		for i, u := range added {
			nums[i] = s.contextNum(cx, u)
		}
		cx.result = append(cx.result, added...)
		slices.Sort(cx.result)
		s.writeContextData(cx, "ADDTO", []string{"0 " + formatNums(nums)})
		return
	}
	members := append(slices.Clone(cx.result), added...)
	slices.Sort(members)
	msgs, uids, err := s.sortKeys(members, false)
	if err != nil {
		s.w.status("*", respNOCode(`NOUPDATE "`+cx.tag+`"`, "Update failed"))
		s.v.contexts = slices.DeleteFunc(s.v.contexts, func(x *searchContext) bool { return x == cx })
		return
	}
	order := imapsort.Sort(msgs, cx.crit)
	isNew := make(map[store.UID]bool, len(added))
	for _, u := range added {
		isNew[u] = true
	}
	sorted := make([]store.UID, len(order))
	var pairs []string
	for i, p := range order {
		sorted[i] = uids[p]
		if isNew[uids[p]] {
			pairs = append(pairs, strconv.Itoa(i+1)+" "+utoa(uint64(s.contextNum(cx, uids[p]))))
		}
	}
	// Members expunged meanwhile (not in uids) leave with their EXPUNGE.
	cx.result = sorted
	if len(pairs) > 0 {
		s.writeContextData(cx, "ADDTO", pairs)
	}
}

// contextNum is how cx's updates name a message: its UID, or its
// sequence number now.
func (s *session) contextNum(cx *searchContext, u store.UID) uint32 {
	if cx.uid {
		return uint32(u)
	}
	return uint32(s.v.seqOf(u))
}

// writeContextData writes `* ESEARCH (TAG "t") [UID] word (pairs)`
// (RFC 5267 §5, ret-data-addto, ret-data-removefrom).
func (s *session) writeContextData(cx *searchContext, word string, pairs []string) {
	var b strings.Builder
	b.WriteString(`* ESEARCH (TAG "` + cx.tag + `")`)
	if cx.uid {
		b.WriteString(" UID")
	}
	b.WriteString(" " + word + " (" + strings.Join(pairs, " ") + ")\r\n")
	s.w.raw(b.String())
}

// cloneKey copies k deeply: the search rewrites the keys it runs.
func cloneKey(k *imapmsg.SearchKey) imapmsg.SearchKey {
	c := *k
	c.UIDs = slices.Clone(k.UIDs)
	if k.Children != nil {
		c.Children = make([]imapmsg.SearchKey, len(k.Children))
		for i := range k.Children {
			c.Children[i] = cloneKey(&k.Children[i])
		}
	}
	return c
}

// intersectUIDs returns the members of a that are in b (both ascending).
func intersectUIDs(a, b []store.UID) []store.UID {
	var out []store.UID
	j := 0
	for _, u := range a {
		for j < len(b) && b[j] < u {
			j++
		}
		if j == len(b) {
			break
		}
		if b[j] == u {
			out = append(out, u)
		}
	}
	return out
}
