package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"sort"
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
	"slices"
	"strconv"
)

// view is a session's picture of the selected mailbox (RFC 9051 §7.5):
// the sequence-number to UID map as last told to the client.
type view struct {
	mb       store.Mailbox
	readOnly bool
	// owner is the owner's address of a shared mailbox ("": the
	// session's own), rights the session's rights on it (acl.go).
	owner  string
	rights imapacl.Rights
	// uids[seq-1]; shared with the index and other views: never changed
	// in place (an append copies, as the capacity is cut at SELECT).
	uids []store.UID
	// modseq: flag changes and expunges up to here have been taken in.
	modseq store.ModSeq
	// pendingExp are expunged in the store but not yet announced, because
	// the commands so far did not allow EXPUNGE responses.
	pendingExp map[store.UID]bool
	recent     map[store.UID]bool
	// saved is the SEARCHRES result "$" (RFC 5182), as UIDs.
	saved []store.UID
	// keywords are those the client was told with FLAGS, sorted; never
	// changed in place (shared with the index snapshot).
	keywords []string
	// sentFlags: flag updates this session already sent (by STORE).
	sentFlags map[store.UID]store.ModSeq
	dirty     bool
	// contexts are the results kept updated (RFC 5267 §4; context.go),
	// touched the messages to search again for them.
	contexts []*searchContext
	touched  []store.UID
}

func (v *view) lastUID() store.UID {
	if len(v.uids) == 0 {
		return 0
	}
	return v.uids[len(v.uids)-1]
}

// seqOf returns the sequence number of uid, or 0.
func (v *view) seqOf(uid store.UID) int {
	i := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] >= uid })
	if i < len(v.uids) && v.uids[i] == uid {
		return i + 1
	}
	return 0
}

// seqsKnown reports whether the sequence numbers of set name messages the
// session knows: a number past them, or "*" while there are none, is BAD
// (RFC 9051 §9, seq-number). "$" always is.
func (v *view) seqsKnown(set numSet) bool {
	n := uint32(len(v.uids))
	for _, rg := range set.ranges {
		for _, x := range [2]uint32{rg.lo, rg.hi} {
			if x == star && n == 0 || x > n {
				return false
			}
		}
	}
	return true
}

var badSeq = respBAD("Message sequence number out of range")

// writeFlagsResponse writes FLAGS and PERMANENTFLAGS (RFC 9051 §7.3.5,
// §7.1): the system flags and the keywords in use; any keyword may be
// created (\*) unless the mailbox is read-only.
func (s *session) writeFlagsResponse(v *view) {
	flags := `\Answered \Flagged \Deleted \Seen \Draft`
	for _, k := range v.keywords {
		flags += " " + k
	}
	s.w.raw("* FLAGS (" + flags + ")\r\n")
	switch {
	case v.readOnly:
		s.w.status("*", respOKCode("PERMANENTFLAGS ()", "Read-only mailbox"))
	case v.rights != imapacl.All:
		s.w.status("*", respOKCode("PERMANENTFLAGS ("+permanentFlags(v.rights, flags)+")", "Flags permitted")) // acl.go
	default:
		s.w.status("*", respOKCode(`PERMANENTFLAGS (`+flags+` \*)`, "Flags permitted"))
	}
}

// announceKeywords sends FLAGS again when kws has a keyword the client
// was not told of, before the FETCH that shows it: the client records
// the mailbox's flags from FLAGS (RFC 9051 §7.3.5).
func (s *session) announceKeywords(kws []string) {
	v := s.v
	var added []string
	for _, k := range kws {
		if !slices.ContainsFunc(v.keywords, func(x string) bool { return strings.EqualFold(x, k) }) &&
			!slices.Contains(added, k) {
			added = append(added, k)
		}
	}
	if len(added) == 0 {
		return
	}
	v.keywords = append(slices.Clone(v.keywords), added...)
	slices.Sort(v.keywords)
	s.writeFlagsResponse(v)
}

// recentFlag reports whether FETCH FLAGS lists \Recent for a message:
// only for IMAP4rev1 clients (RFC 3501 §2.3.2); IMAP4rev2 dropped the
// flag (RFC 9051 §2.3.2, Appendix E), so a session that enabled it never
// sees it.
func (s *session) recentFlag(uid store.UID) bool {
	return !s.rev2 && s.v.recent[uid]
}

// writeFlagsFetch writes "* n FETCH (UID u FLAGS (...) [MODSEQ (m)])".
func (s *session) writeFlagsFetch(seq int, m store.Message) {
	s.announceKeywords(m.Keywords)
	if !s.fetchHead(seq, m.UID) {
		s.w.raw("UID ")
		s.w.num32(uint32(m.UID))
		s.w.byte(' ')
	}
	s.w.raw("FLAGS ")
	s.w.raw(imapmsg.FlagsList(m.Flags, m.Keywords, s.recentFlag(m.UID)))
	if s.condstore {
		s.w.raw(" MODSEQ (")
		s.w.num(uint64(m.ModSeq))
		s.w.byte(')')
	}
	s.w.raw(")\r\n")
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

// targetUIDs resolves a sequence set, UID set or "$" to the UIDs of the
// view it names, ascending. Numbers that name no message are ignored.
// It costs what the set names, not the size of the mailbox.
func (s *session) targetUIDs(set numSet, uid bool) []store.UID {
	v := s.v
	if set.saved {
		var out []store.UID
		for _, u := range v.saved {
			if v.seqOf(u) > 0 {
				out = append(out, u)
			}
		}
		return out
	}
	// Index ranges [lo, hi) of v.uids, merged and ascending.
	var spans [][2]int
	if uid {
		for _, rg := range set.resolve(uint32(v.lastUID())) {
			lo, _ := slices.BinarySearch(v.uids, store.UID(rg.lo))
			hi, found := slices.BinarySearch(v.uids, store.UID(rg.hi))
			if found {
				hi++
			}
			spans = append(spans, [2]int{lo, hi})
		}
	} else {
		n := uint32(len(v.uids))
		for _, rg := range set.resolve(n) {
			if rg.lo == 0 || rg.lo > n {
				continue
			}
			spans = append(spans, [2]int{int(rg.lo) - 1, int(min(rg.hi, n))})
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var out []store.UID
	next := 0 // v.uids below next are out already
	for _, sp := range spans {
		lo := max(sp[0], next)
		if lo < sp[1] {
			out = append(out, v.uids[lo:sp[1]]...)
			next = sp[1]
		}
	}
	return out
}

// loadMessages reads the store records of uids (ascending), skipping the
// ones expunged meanwhile. A set that is a small part of its span (a
// CHANGEDSINCE result, a few scattered UIDs) is read run by run rather
// than over the whole span.
func (s *session) loadMessages(uids []store.UID) ([]store.Message, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	runs := store.UIDRuns(uids, 64)
	span := int(uids[len(uids)-1]-uids[0]) + 1
	if len(runs) > 1 && len(runs)*20 >= span {
		runs = [][2]store.UID{{uids[0], uids[len(uids)-1]}}
	}
	var out []store.Message
	j := 0
	for _, run := range runs {
		all, err := s.srv.st.Messages(s.ctx, s.v.mb.ID, run[0], run[1])
		if err != nil {
			return nil, err
		}
		for _, m := range all {
			for j < len(uids) && uids[j] < m.UID {
				j++
			}
			if j < len(uids) && uids[j] == m.UID {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// currentIndex returns the index of the selected mailbox, up to date.
func (s *session) currentIndex() (*indexSnap, error) {
	mb, err := s.srv.st.MailboxByID(s.ctx, s.v.mb.Account, s.v.mb.ID)
	if err != nil {
		return nil, err
	}
	return s.srv.index.get(s.ctx, mb)
}

// indexRecs calls fn for the index records of uids (ascending) in turn,
// skipping UIDs the index no longer has.
func indexRecs(snap *indexSnap, uids []store.UID, fn func(r *indexRec)) {
	j := 0
	for _, u := range uids {
		if j < len(snap.recs) && snap.recs[j].uid != u {
			j, _ = snap.find(u, j)
		}
		if j >= len(snap.recs) {
			return
		}
		if snap.recs[j].uid == u {
			fn(&snap.recs[j])
			j++
		}
	}
}
