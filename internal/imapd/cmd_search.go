package imapd

import (
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
	"time"
)

// searchArgs are SEARCH's arguments (RFC 9051 §6.4.4, RFC 4731 §3.1).
type searchArgs struct {
	charset string
	esearch bool     // RETURN given
	ret     []string // MIN MAX ALL COUNT SAVE PARTIAL (upper case)
	key     imapmsg.SearchKey
	partial partialRange // PARTIAL's range (RFC 9394)
	update  bool         // UPDATE: keep the result updated (RFC 5267 §4.1; context.go)
}

// savedMark marks a SeqSet/UID key that stands for "$" (RFC 5182).
const savedMark = "$"

// maxSearchDepth bounds the nesting of NOT, OR and parentheses.
const maxSearchDepth = 64

// parseSearch reads SEARCH [RETURN (...)] [CHARSET x] keys (RFC 9051
// §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES).
func parseSearch(_ *session, r *reader, _ *command, a *searchArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	if r.hasWord("RETURN") {
		a.esearch = true
		a.ret = []string{}
		err := r.list(func() error {
			opt := strings.ToUpper(r.atomWith(isNameChar))
			switch opt {
			case "MIN", "MAX", "ALL", "COUNT", "SAVE", "RELEVANCY": // RELEVANCY: RFC 6203 §4
				a.ret = append(a.ret, opt)
				return nil
			case "PARTIAL": // RFC 9394 §3.1
				a.ret = append(a.ret, opt)
				return r.partialRange(&a.partial)
			case "UPDATE", "CONTEXT": // RFC 5267 §4.1, §4.2
				a.update = a.update || opt == "UPDATE"
				return nil
			}
			return errSyntax("Unknown SEARCH return option")
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
	if r.hasWord("CHARSET") {
		cs, err := r.astring()
		if err != nil {
			return err
		}
		a.charset = strings.ToUpper(cs)
		if err := r.sp(); err != nil {
			return err
		}
	}
	var err error
	a.key, err = r.searchKeys()
	return err
}

// searchKeys reads 1*(search-key SP) search-key, ANDed (SEARCH, and
// SORT and THREAD after their charset).
func (r *reader) searchKeys() (imapmsg.SearchKey, error) {
	and := imapmsg.SearchKey{Kind: imapmsg.And}
	for {
		k, err := r.searchKey(0)
		if err != nil {
			return k, err
		}
		and.Children = append(and.Children, k)
		if r.peek() != ' ' {
			break
		}
		r.pos++
	}
	if len(and.Children) == 1 {
		return and.Children[0], nil
	}
	return and, nil
}

// hasWord consumes word followed by SP when it is next (case-insensitive).
func (r *reader) hasWord(word string) bool {
	end := r.pos + len(word)
	if end < len(r.line) && r.line[end] == ' ' && strings.EqualFold(string(r.line[r.pos:end]), word) {
		r.pos = end + 1
		return true
	}
	return false
}

// searchKey reads one search-key.
func (r *reader) searchKey(depth int) (imapmsg.SearchKey, error) {
	if depth > maxSearchDepth {
		return imapmsg.SearchKey{}, errSyntax("Search key nested too deeply")
	}
	switch c := r.peek(); {
	case c == '(':
		k := imapmsg.SearchKey{Kind: imapmsg.And}
		err := r.list(func() error {
			sub, err := r.searchKey(depth + 1)
			k.Children = append(k.Children, sub)
			return err
		})
		if err == nil && len(k.Children) == 0 {
			err = errSyntax("Empty search key list")
		}
		return k, err
	case c == '*' || c == '$' || c >= '1' && c <= '9':
		set, err := r.numSet()
		return setKey(imapmsg.SeqSet, set), err
	}
	name := strings.ToUpper(r.atomWith(isNameChar))
	if k, ok := simpleSearchKeys(name); ok {
		return imapmsg.SearchKey{Kind: k}, nil
	}
	if name == "SAVEDATESUPPORTED" {
		return saveDateSupported(), nil
	}
	if name == "" {
		return imapmsg.SearchKey{}, errSyntax("Expected a search key")
	}
	if err := r.sp(); err != nil {
		return imapmsg.SearchKey{}, err
	}
	return r.searchKeyArgs(name, depth)
}

func setKey(kind imapmsg.SearchKind, set numSet) imapmsg.SearchKey {
	k := imapmsg.SearchKey{Kind: kind}
	if set.saved {
		k.Text = savedMark
		return k
	}
	for _, rg := range set.ranges {
		k.UIDs = append(k.UIDs, imapmsg.UIDRange{Lo: store.UID(rg.lo), Hi: store.UID(rg.hi)})
	}
	return k
}

func simpleSearchKeys(name string) (imapmsg.SearchKind, bool) {
	switch name {
	case "ALL":
		return imapmsg.All, true
	case "ANSWERED":
		return imapmsg.Answered, true
	case "DELETED":
		return imapmsg.Deleted, true
	case "DRAFT":
		return imapmsg.Draft, true
	case "FLAGGED":
		return imapmsg.Flagged, true
	case "SEEN":
		return imapmsg.Seen, true
	case "UNANSWERED":
		return imapmsg.Unanswered, true
	case "UNDELETED":
		return imapmsg.Undeleted, true
	case "UNDRAFT":
		return imapmsg.Undraft, true
	case "UNFLAGGED":
		return imapmsg.Unflagged, true
	case "UNSEEN":
		return imapmsg.Unseen, true
	case "NEW":
		return imapmsg.New, true
	case "OLD":
		return imapmsg.Old, true
	case "RECENT":
		return imapmsg.Recent, true
	}
	return 0, false
}

// searchKeyArgs reads the arguments of the keys that take some.
func (r *reader) searchKeyArgs(name string, depth int) (imapmsg.SearchKey, error) {
	k := imapmsg.SearchKey{}
	var err error
	switch name {
	case "BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO":
		k.Kind = map[string]imapmsg.SearchKind{"BCC": imapmsg.Bcc, "BODY": imapmsg.Body, "CC": imapmsg.Cc,
			"FROM": imapmsg.From, "SUBJECT": imapmsg.Subject, "TEXT": imapmsg.Text, "TO": imapmsg.To}[name]
		k.Text, err = r.astring()
	case "KEYWORD", "UNKEYWORD":
		k.Kind = imapmsg.Keyword
		if name == "UNKEYWORD" {
			k.Kind = imapmsg.Unkeyword
		}
		k.Text, err = r.flag()
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		k.Kind = map[string]imapmsg.SearchKind{"BEFORE": imapmsg.Before, "ON": imapmsg.On, "SINCE": imapmsg.Since,
			"SENTBEFORE": imapmsg.SentBefore, "SENTON": imapmsg.SentOn, "SENTSINCE": imapmsg.SentSince}[name]
		k.Date, err = r.searchDate()
	case "LARGER", "SMALLER":
		k.Kind = imapmsg.Larger
		if name == "SMALLER" {
			k.Kind = imapmsg.Smaller
		}
		var n uint64
		n, err = r.number()
		k.Number = int64(n)
	case "HEADER":
		k.Kind = imapmsg.Header
		if k.Field, err = r.astring(); err == nil {
			if err = r.sp(); err == nil {
				k.Text, err = r.astring()
			}
		}
	case "UID":
		var set numSet
		set, err = r.numSet()
		k = setKey(imapmsg.UID, set)
	case "NOT":
		var sub imapmsg.SearchKey
		sub, err = r.searchKey(depth + 1)
		k = imapmsg.SearchKey{Kind: imapmsg.Not, Children: []imapmsg.SearchKey{sub}}
	case "OR":
		k, err = r.searchOr(depth)
	case "MODSEQ":
		k, err = r.searchModSeq()
	case "EMAILID":
		k, err = r.objectIDKey(imapmsg.EmailID)
	case "THREADID":
		k, err = r.objectIDKey(imapmsg.ThreadID)
	case "SAVEDBEFORE", "SAVEDON", "SAVEDSINCE":
		k, err = r.saveDateKey(name)
	case "FUZZY": // RFC 6203 §3
		var sub imapmsg.SearchKey
		sub, err = r.searchKey(depth + 1)
		k = imapmsg.SearchKey{Kind: imapmsg.Fuzzy, Children: []imapmsg.SearchKey{sub}}
	case "OLDER", "YOUNGER": // RFC 5032 §4: ( "OLDER" / "YOUNGER" ) SP nz-number
		k.Kind = imapmsg.Older
		if name == "YOUNGER" {
			k.Kind = imapmsg.Younger
		}
		var n uint32
		n, err = r.nzNumber32()
		k.Number = int64(n)
	default:
		err = errSyntax("Unknown search key")
	}
	return k, err
}

func (r *reader) searchOr(depth int) (imapmsg.SearchKey, error) {
	a, err := r.searchKey(depth + 1)
	if err != nil {
		return a, err
	}
	if err := r.sp(); err != nil {
		return a, err
	}
	b, err := r.searchKey(depth + 1)
	return imapmsg.SearchKey{Kind: imapmsg.Or, Children: []imapmsg.SearchKey{a, b}}, err
}

// searchModSeq reads MODSEQ [entry-name entry-type-req] mod-sequence-valzer
// (RFC 7162 §3.1.5); the entry name is accepted and ignored: Petrel keeps
// one mod-sequence per message.
func (r *reader) searchModSeq() (imapmsg.SearchKey, error) {
	k := imapmsg.SearchKey{Kind: imapmsg.ModSeq}
	if r.peek() == '"' {
		if _, err := r.quoted(); err != nil {
			return k, err
		}
		if err := r.sp(); err != nil {
			return k, err
		}
		t := strings.ToLower(r.atomWith(isNameChar))
		if t != "priv" && t != "shared" && t != "all" {
			return k, errSyntax("Bad MODSEQ entry type")
		}
		if err := r.sp(); err != nil {
			return k, err
		}
	}
	n, err := r.number()
	k.Number = int64(n)
	return k, err
}

// searchDate reads date = date-text / DQUOTE date-text DQUOTE
// ("1-Feb-1994").
func (r *reader) searchDate() (time.Time, error) {
	var s string
	var err error
	if r.peek() == '"' {
		s, err = r.quoted()
	} else {
		s = r.atomWith(func(b byte) bool { return isNameChar(b) })
	}
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse("2-Jan-2006", s)
	if perr != nil {
		return time.Time{}, errSyntax("Bad date")
	}
	return t, nil
}

// resolveKey turns sequence-set keys into UID keys against the view, and
// "$" into the saved result; it reports whether the key uses MODSEQ.
func (s *session) resolveKey(k *imapmsg.SearchKey) (usesModSeq bool) {
	v := s.v
	switch k.Kind {
	case imapmsg.ModSeq:
		usesModSeq = true
	case imapmsg.Older, imapmsg.Younger: // RFC 5032 §3: from now
		k.Date = time.Now().Add(-time.Duration(k.Number) * time.Second)
	case imapmsg.SeqSet, imapmsg.UID:
		if k.Text == savedMark {
			k.Kind, k.Text, k.UIDs = imapmsg.UID, "", nil
			for _, u := range v.saved {
				k.UIDs = append(k.UIDs, imapmsg.UIDRange{Lo: u, Hi: u})
			}
			if len(k.UIDs) == 0 {
				k.UIDs = []imapmsg.UIDRange{{Lo: 1, Hi: 0}}
			}
			break
		}
		if k.Kind == imapmsg.UID {
			k.UIDs = resolveUIDRanges(k.UIDs, v.lastUID())
			break
		}
		k.Kind, k.UIDs = imapmsg.UID, s.seqRangesToUIDs(k.UIDs)
	}
	for i := range k.Children {
		if s.resolveKey(&k.Children[i]) {
			usesModSeq = true
		}
	}
	return usesModSeq
}

func resolveUIDRanges(rs []imapmsg.UIDRange, last store.UID) []imapmsg.UIDRange {
	out := make([]imapmsg.UIDRange, len(rs))
	for i, r := range rs {
		if r.Lo == star {
			r.Lo = last
		}
		if r.Hi == star {
			r.Hi = last
		}
		if r.Lo > r.Hi {
			r.Lo, r.Hi = r.Hi, r.Lo
		}
		out[i] = r
	}
	return out
}

// seqRangesToUIDs maps sequence ranges to the UID ranges they cover in
// the view (UIDs ascend with sequence numbers, so a range stays a range).
func (s *session) seqRangesToUIDs(rs []imapmsg.UIDRange) []imapmsg.UIDRange {
	n := store.UID(len(s.v.uids))
	var out []imapmsg.UIDRange
	for _, r := range resolveUIDRanges(rs, n) {
		if r.Lo == 0 || r.Lo > n {
			continue
		}
		r.Hi = min(r.Hi, n)
		out = append(out, imapmsg.UIDRange{Lo: s.v.uids[r.Lo-1], Hi: s.v.uids[r.Hi-1]})
	}
	if len(out) == 0 {
		out = []imapmsg.UIDRange{{Lo: 1, Hi: 0}} // matches nothing
	}
	return out
}

// cmdSearch answers SEARCH and UID SEARCH (RFC 9051 §6.4.4, RFC 4731
// ESEARCH, RFC 5182 SEARCHRES, RFC 7162 §3.1.5 MODSEQ).
func (s *session) cmdSearch(c *command, a *searchArgs) status {
	switch a.charset {
	case "", "US-ASCII", "UTF-8":
	default:
		return respNOCode("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset")
	}
	if slices.Contains(a.ret, "RELEVANCY") && !hasFuzzy(&a.key) {
		return respBAD("RELEVANCY needs a FUZZY search key") // RFC 6203 §4
	}
	key := a.key
	if s.uidOnly && usesSeqNums(&key) { // RFC 9586 §3
		return uidRequired
	}
	usesModSeq := s.resolveKey(&key)
	if usesModSeq {
		s.enableCondstore()
	}
	var kept imapmsg.SearchKey // the key of an UPDATE, before the index rewrites it
	if a.update {
		kept = cloneKey(&key)
	}
	defer s.startProgress(c, len(s.v.uids))()
	matched, modseqs, st := s.runSearch(&key, usesModSeq)
	if st.kind != "" {
		return st
	}
	if a.update {
		defer s.startContext(c, kept, nil, matched)
	}
	if a.esearch || s.rev2 {
		s.writeESearch(c, a, matched, modseqs, usesModSeq)
	} else {
		s.w.raw("* SEARCH")
		for _, u := range matched {
			s.w.byte(' ')
			s.w.num(s.resultNum(c, u))
		}
		if usesModSeq && len(matched) > 0 {
			s.w.raw(" (MODSEQ " + utoa(uint64(slices.Max(modseqs))) + ")")
		}
		s.w.crlf()
	}
	return respOK("SEARCH completed")
}

func (s *session) resultNum(c *command, u store.UID) uint64 {
	if c.uid {
		return uint64(u)
	}
	return uint64(s.v.seqOf(u))
}

// runSearch evaluates key over the messages of the view. Keys on the
// message content read the metadata (and bodies) in one bulk pass when
// the store has one; keys on flags, UIDs and MODSEQ alone are answered
// from the index. With withModSeqs it returns the mod-sequences of the
// matches too, one for each.
func (s *session) runSearch(key *imapmsg.SearchKey, withModSeqs bool) ([]store.UID, []store.ModSeq, status) {
	return s.searchIn(key, nil, withModSeqs)
}

// searchIn is runSearch over the messages of within (ascending) only,
// or all of the view's when within is nil.
func (s *session) searchIn(key *imapmsg.SearchKey, within []store.UID, withModSeqs bool) ([]store.UID, []store.ModSeq, status) {
	v := s.v
	var out []store.UID
	var modseqs []store.ModSeq
	var matchErr error
	try := func(c *imapmsg.Candidate) error {
		s.prog.step()
		ok, err := imapmsg.Match(key, c)
		if err != nil {
			if store.IsKind(err, store.KindNotFound) {
				return nil // expunged meanwhile
			}
			matchErr = err
			return err
		}
		if ok {
			out = append(out, c.Msg.UID)
			if withModSeqs {
				modseqs = append(modseqs, c.Msg.ModSeq)
			}
		}
		return nil
	}
	uids := s.useTextIndex(key)
	if within != nil {
		uids = intersectUIDs(uids, within)
	}
	needMeta, needBody := imapmsg.NeedsMeta(key), imapmsg.NeedsBody(key)
	br := s.srv.st
	switch {
	case needMeta:
		what := store.ReadHeaders
		if needBody {
			what |= store.ReadBody
		}
		err := br.ReadMessages(s.ctx, v.mb.ID, uids, what, func(d *store.MessageData) error {
			return try(&imapmsg.Candidate{Msg: d.Message, Recent: v.recent[d.UID],
				Meta: func() (*msgmeta.Meta, error) { return d.Meta, nil },
				Body: func() (store.Blob, error) { return d.Body, nil },
			})
		})
		if err != nil {
			return nil, nil, s.storeError("search", err)
		}
	case !needMeta && !imapmsg.NeedsDateOrSize(key):
		snap, err := s.currentIndex()
		if err != nil {
			return nil, nil, s.storeError("search", err)
		}
		var c imapmsg.Candidate // one for all: not kept by Match
		indexRecs(snap, uids, func(r *indexRec) {
			if matchErr == nil {
				c = imapmsg.Candidate{Msg: snap.message(v.mb.ID, r), Recent: v.recent[r.uid]}
				try(&c)
			}
		})
		if matchErr != nil {
			return nil, nil, s.storeError("search", matchErr)
		}
	default:
		msgs, err := s.loadMessages(uids)
		if err != nil {
			return nil, nil, s.storeError("search", err)
		}
		for _, m := range msgs {
			err := try(&imapmsg.Candidate{
				Msg:    m,
				Recent: v.recent[m.UID],
				Meta: func() (*msgmeta.Meta, error) {
					return s.srv.st.Meta(s.ctx, m.Mailbox, m.UID)
				},
				Body: func() (store.Blob, error) { return s.srv.st.OpenBlob(s.ctx, m.Blob) },
			})
			if err != nil {
				return nil, nil, s.storeError("search", err)
			}
		}
	}
	return out, modseqs, status{}
}

// writeESearch writes the ESEARCH response (RFC 4731 §3.1, RFC 9051
// §7.3.4) and saves the result for "$" when asked (RFC 5182 §2.1).
func (s *session) writeESearch(c *command, a *searchArgs, matched []store.UID, modseqs []store.ModSeq, usesModSeq bool) {
	ret := map[string]bool{}
	for _, r := range a.ret {
		ret[r] = true
	}
	if len(ret) == 0 || (len(ret) == 1 && ret["SAVE"] && !a.esearch) || ret["RELEVANCY"] {
		ret["ALL"] = true // RELEVANCY's scores go with ALL's messages
	}
	if ret["SAVE"] {
		saved := matched
		if ret["PARTIAL"] { // RFC 9394 §3.1: the page is what is saved
			saved = nil
			if lo, hi := a.partial.window(len(matched)); lo < hi {
				saved = matched[lo:hi]
			}
		}
		s.saveResult(saved, ret)
		if len(ret) == 1 {
			return
		}
	}
	var b strings.Builder
	b.WriteString(`* ESEARCH (TAG "` + c.tag + `")`)
	if c.uid {
		b.WriteString(" UID")
	}
	nums := make([]uint32, len(matched))
	for i, u := range matched {
		nums[i] = uint32(s.resultNum(c, u))
	}
	if len(nums) > 0 {
		if ret["MIN"] {
			b.WriteString(" MIN " + strconv.FormatUint(uint64(nums[0]), 10))
		}
		if ret["MAX"] {
			b.WriteString(" MAX " + strconv.FormatUint(uint64(nums[len(nums)-1]), 10))
		}
		if ret["ALL"] {
			b.WriteString(" ALL " + formatNums(nums))
		}
		if ret["RELEVANCY"] {
			b.WriteString(" RELEVANCY " + s.relevancy.scores(matched))
		}
	}
	if ret["COUNT"] {
		b.WriteString(" COUNT " + strconv.Itoa(len(nums)))
	}
	if ret["PARTIAL"] {
		b.WriteString(" PARTIAL " + a.partial.result(nums))
	}
	if usesModSeq && len(nums) > 0 {
		b.WriteString(" MODSEQ " + utoa(uint64(returnedModSeq(modseqs, ret))))
	}
	s.w.raw(b.String() + "\r\n")
}

// returnedModSeq is the MODSEQ of an ESEARCH response: the highest
// mod-sequence of the messages returned, which are those of MIN and/or
// MAX when only those were asked for (RFC 4731 §3.2, RFC 7162 §3.1.5),
// else all the matches.
func returnedModSeq(modseqs []store.ModSeq, ret map[string]bool) store.ModSeq {
	if ret["ALL"] || ret["COUNT"] || !ret["MIN"] && !ret["MAX"] {
		return slices.Max(modseqs)
	}
	var ms store.ModSeq
	if ret["MIN"] {
		ms = modseqs[0]
	}
	if ret["MAX"] {
		ms = max(ms, modseqs[len(modseqs)-1])
	}
	return ms
}

// saveResult keeps the result for "$": all of it, or only the minimum
// and/or maximum when those alone were asked for (RFC 5182 §2.4).
func (s *session) saveResult(matched []store.UID, ret map[string]bool) {
	if len(matched) == 0 || ret["ALL"] || ret["COUNT"] || (!ret["MIN"] && !ret["MAX"]) {
		s.v.saved = append([]store.UID(nil), matched...)
		return
	}
	var saved []store.UID
	if ret["MIN"] {
		saved = append(saved, matched[0])
	}
	if ret["MAX"] && (len(saved) == 0 || saved[0] != matched[len(matched)-1]) {
		saved = append(saved, matched[len(matched)-1])
	}
	s.v.saved = saved
}
