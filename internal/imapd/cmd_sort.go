package imapd

import (
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/imapsort"
	"github.com/petrelmail/petrel/internal/store"
)

// sortArgs are SORT's arguments (RFC 5256 §3, RFC 5267 §3.1 ESORT,
// RFC 9394 PARTIAL) and THREAD's (algorithm instead of criteria).
type sortArgs struct {
	esort     bool     // RETURN given (RFC 5267 §3.1)
	ret       []string // MIN MAX COUNT ALL PARTIAL
	partial   partialRange
	crit      []imapsort.Criterion
	algorithm string // THREAD: ORDEREDSUBJECT or REFERENCES
	charset   string
	key       imapmsg.SearchKey
	// update: keep the result updated (RFC 5267 §4.1; context.go);
	// resolved is then the key as resolved, before the search ran.
	update   bool
	resolved imapmsg.SearchKey
}

// maxSortCriteria bounds a SORT's criteria (each key at most twice,
// REVERSE and not, would be 18; more is nonsense).
const maxSortCriteria = 32

// parseSort reads [SP "RETURN" SP "(" opts ")"] SP "(" sort-criteria ")"
// SP charset 1*(SP search-key) (RFC 5256 §5, RFC 5267 §3.1).
func parseSort(_ *session, r *reader, _ *command, a *sortArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	if r.hasWord("RETURN") {
		a.esort, a.ret = true, []string{}
		err := r.list(func() error {
			opt := strings.ToUpper(r.atomWith(isNameChar))
			switch opt {
			case "MIN", "MAX", "ALL", "COUNT":
				a.ret = append(a.ret, opt)
				return nil
			case "PARTIAL": // RFC 9394 §3.1
				a.ret = append(a.ret, opt)
				return r.partialRange(&a.partial)
			case "UPDATE", "CONTEXT": // RFC 5267 §4.1, §4.2
				a.update = a.update || opt == "UPDATE"
				return nil
			}
			return errSyntax("Unknown SORT return option")
		})
		if err == nil {
			err = checkPartial(a.ret)
		}
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	err := r.list(func() error {
		// sort-criterion = ["REVERSE" SP] sort-key
		reverse := r.hasWord("REVERSE")
		k, ok := imapsort.KeyByName(strings.ToUpper(r.atomWith(isNameChar)))
		if !ok {
			return errSyntax("Unknown sort key")
		}
		if len(a.crit) == maxSortCriteria {
			return errSyntax("Too many sort criteria")
		}
		a.crit = append(a.crit, imapsort.Criterion{Key: k, Reverse: reverse})
		return nil
	})
	if err == nil && len(a.crit) == 0 {
		err = errSyntax("Empty sort criteria")
	}
	if err != nil {
		return err
	}
	return a.charsetAndKeys(r)
}

// charsetAndKeys reads SP charset SP search-keys: the charset is
// required in SORT and THREAD (RFC 5256 §5 search-criteria).
func (a *sortArgs) charsetAndKeys(r *reader) error {
	if err := r.sp(); err != nil {
		return err
	}
	cs, err := r.astring()
	if err != nil {
		return err
	}
	a.charset = strings.ToUpper(cs)
	if err := r.sp(); err != nil {
		return err
	}
	a.key, err = r.searchKeys()
	return err
}

// parseThread reads SP thread-alg SP charset 1*(SP search-key)
// (RFC 5256 §5).
func parseThread(_ *session, r *reader, _ *command, a *sortArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	a.algorithm = strings.ToUpper(r.atomWith(isNameChar))
	if a.algorithm != "ORDEREDSUBJECT" && a.algorithm != "REFERENCES" {
		return errSyntax("Unknown threading algorithm")
	}
	return a.charsetAndKeys(r)
}

// sortMessages runs the search of a SORT or THREAD and reads what the
// order needs of the matches from their stored metadata, never the
// messages (one bulk read; the headers only for REFERENCES).
func (s *session) sortMessages(a *sortArgs, need imapsort.Need) ([]imapsort.Msg, []store.UID, status) {
	matched, st := s.sortSearch(a)
	if st.kind != "" {
		return nil, nil, st
	}
	return s.sortRead(matched, need)
}

// sortSearch checks the charset of a SORT or THREAD and runs its search.
func (s *session) sortSearch(a *sortArgs) ([]store.UID, status) {
	switch a.charset {
	case "US-ASCII", "UTF-8":
	default:
		return nil, respNOCode("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset")
	}
	key := a.key
	if s.resolveKey(&key) {
		s.enableCondstore()
	}
	if a.update {
		a.resolved = cloneKey(&key)
	}
	matched, _, st := s.runSearch(&key, false)
	return matched, st
}

// sortRead reads the sort keys of the matches (sortKeys).
func (s *session) sortRead(matched []store.UID, need imapsort.Need) ([]imapsort.Msg, []store.UID, status) {
	msgs, uids, err := s.sortKeys(matched, need.Refs)
	if err != nil {
		return nil, nil, s.storeError("sort", err)
	}
	return msgs, uids, status{}
}

// sortUIDs orders the matches by the criteria: for one string key held
// by the sort cache for all of them, from the cached ranks alone (no
// record copied), else from their sort keys (sortKeys); it returns the
// positions in uids in order and uids (the matches less those expunged
// meanwhile).
func (s *session) sortUIDs(matched []store.UID, crit []imapsort.Criterion) ([]int32, []store.UID, status) {
	if len(crit) == 1 && imapsort.IsString(crit[0].Key) {
		key := sortBoxKey{s.v.mb.ID, s.v.mb.UIDValidity}
		if order := s.srv.sorts.rankOrder(key, crit[0], matched); order != nil {
			return order, matched, status{}
		}
	}
	need := imapsort.Need{}
	for _, cr := range crit {
		need.Keys = append(need.Keys, cr.Key)
	}
	msgs, uids, st := s.sortRead(matched, need)
	if st.kind != "" {
		return nil, nil, st
	}
	return s.sortOrder(msgs, uids, crit), uids, status{}
}

// cmdSort answers SORT and UID SORT (RFC 5256 §3, RFC 5957, RFC 5267
// §3 ESORT, RFC 9394 PARTIAL).
func (s *session) cmdSort(c *command, a *sortArgs) status {
	matched, st := s.sortSearch(a)
	if st.kind != "" {
		return st
	}
	order, uids, st := s.sortUIDs(matched, a.crit)
	if st.kind != "" {
		return st
	}
	nums := make([]uint32, len(order))
	for i, p := range order {
		nums[i] = uint32(s.resultNum(c, uids[p]))
	}
	if a.update {
		sorted := make([]store.UID, len(order))
		for i, p := range order {
			sorted[i] = uids[p]
		}
		defer s.startContext(c, a.resolved, a.crit, sorted)
	}
	if a.esort {
		s.writeESort(c, a, nums)
		return respOK("SORT completed")
	}
	// One buffer, one write: 100,000 numbers are 600 KB.
	b := make([]byte, 0, len("* SORT\r\n")+len(nums)*8)
	b = append(b, "* SORT"...)
	for _, n := range nums {
		b = strconv.AppendUint(append(b, ' '), uint64(n), 10)
	}
	s.w.Write(append(b, '\r', '\n'))
	return respOK("SORT completed")
}

// writeESort writes the ESEARCH response of a SORT with RETURN (RFC 5267
// §3.2): MIN and MAX are the first and last in sort order, ALL keeps
// the order; RETURN () is ALL.
func (s *session) writeESort(c *command, a *sortArgs, nums []uint32) {
	ret := map[string]bool{}
	for _, r := range a.ret {
		ret[r] = true
	}
	if len(ret) == 0 {
		ret["ALL"] = true
	}
	var b strings.Builder
	b.WriteString(`* ESEARCH (TAG "` + c.tag + `")`)
	if c.uid {
		b.WriteString(" UID")
	}
	if len(nums) > 0 {
		if ret["MIN"] {
			b.WriteString(" MIN " + strconv.FormatUint(uint64(nums[0]), 10))
		}
		if ret["MAX"] {
			b.WriteString(" MAX " + strconv.FormatUint(uint64(nums[len(nums)-1]), 10))
		}
		if ret["ALL"] {
			b.WriteString(" ALL " + formatOrdered(nums))
		}
	}
	if ret["COUNT"] {
		b.WriteString(" COUNT " + strconv.Itoa(len(nums)))
	}
	if ret["PARTIAL"] {
		b.WriteString(" PARTIAL " + a.partial.result(nums))
	}
	s.w.raw(b.String() + "\r\n")
}

// cmdThread answers THREAD and UID THREAD (RFC 5256 §3, §4).
func (s *session) cmdThread(c *command, a *sortArgs) status {
	need := imapsort.Need{Subject: true, Refs: a.algorithm == "REFERENCES"}
	msgs, uids, st := s.sortMessages(a, need)
	if st.kind != "" {
		return st
	}
	var roots []*imapsort.Node
	if need.Refs {
		roots = imapsort.References(msgs)
	} else {
		roots = imapsort.OrderedSubject(msgs)
	}
	b := []byte("* THREAD")
	if len(roots) > 0 {
		b = append(b, ' ')
	}
	b = imapsort.AppendThreads(b, roots, func(i int) uint32 { return uint32(s.resultNum(c, uids[i])) })
	s.w.Write(append(b, '\r', '\n'))
	return respOK("THREAD completed")
}
