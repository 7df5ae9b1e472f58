package imapd

import (
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// parseFlags splits flags into system flags and keywords. \Recent cannot
// be set by a client and is ignored; other unknown system flags are
// refused.
func parseFlags(flags []string) (store.Flags, []string, bool) {
	var f store.Flags
	var kw []string
	for _, fl := range flags {
		if !strings.HasPrefix(fl, `\`) {
			kw = append(kw, fl)
			continue
		}
		if sf, ok := store.SystemFlagNamed(fl); ok {
			f |= sf
		} else if !strings.EqualFold(fl, `\Recent`) {
			return 0, nil, false
		}
	}
	return f, kw, true
}

// storeArgs are STORE's arguments (RFC 9051 §6.4.6, RFC 7162 §3.1.3).
type storeArgs struct {
	set            numSet
	op             string // "", "+", "-"
	silent         bool
	flags          []string
	unchangedSince uint64
	hasUnchanged   bool
}

// parseStore reads STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT]
// flags (RFC 9051 §6.4.6, RFC 7162 §3.1.3).
func parseStore(_ *session, r *reader, _ *command, st *storeArgs) error {
	if err := r.setArg(&st.set); err != nil {
		return err
	}
	var err error
	if r.peek() == '(' {
		err := r.list(func() error {
			a := r.atomWith(isNameChar)
			if !strings.EqualFold(a, "UNCHANGEDSINCE") {
				return errSyntax("Unknown STORE modifier")
			}
			if err := r.sp(); err != nil {
				return err
			}
			st.unchangedSince, err = r.number()
			st.hasUnchanged = true
			return err
		})
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	if r.peek() == '+' || r.peek() == '-' {
		st.op = string(r.peek())
		r.pos++
	}
	item := strings.ToUpper(r.atomWith(isNameChar))
	switch item {
	case "FLAGS":
	case "FLAGS.SILENT":
		st.silent = true
	default:
		return errSyntax("Expected FLAGS, +FLAGS or -FLAGS")
	}
	if err := r.sp(); err != nil {
		return err
	}
	st.flags, err = r.flagList(true)
	return err
}

// flagList reads "(" flags ")"; with bare, also flags separated by SP
// without parentheses.
func (r *reader) flagList(bare bool) ([]string, error) {
	flags := []string{}
	add := func() error {
		f, err := r.flag()
		if err == nil && f == `\*` {
			err = errSyntax(`\* is not a flag`)
		}
		flags = append(flags, f)
		return err
	}
	if r.peek() == '(' {
		return flags, r.list(add)
	}
	if !bare {
		return nil, errSyntax("Expected a flag list")
	}
	for {
		if err := add(); err != nil {
			return nil, err
		}
		if r.peek() != ' ' {
			return flags, nil
		}
		r.pos++
	}
}

// cmdStore answers STORE and UID STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3).
func (s *session) cmdStore(c *command, a *storeArgs) status {
	if !c.uid && !s.v.seqsKnown(a.set) {
		return badSeq
	}
	if s.v.readOnly {
		return respNOCode("READ-ONLY", "Mailbox is read-only")
	}
	flags, kw, valid := parseFlags(a.flags)
	if !valid {
		return respBAD("Unknown system flag")
	}
	var refused status
	if flags, kw, refused = s.storeRights(a.op, flags, kw); refused.kind != "" { // acl.go
		return refused
	}
	if a.hasUnchanged {
		s.enableCondstore()
	}
	ch := store.FlagChange{Flags: flags, Keywords: kw, UnchangedSince: store.ModSeq(a.unchangedSince)}
	switch a.op {
	case "+":
		ch.Op = store.FlagsAdd
	case "-":
		ch.Op = store.FlagsRemove
	}
	uids := s.targetUIDs(a.set, c.uid)
	if len(uids) == 0 {
		return respOK("STORE completed")
	}
	if a.hasUnchanged && a.unchangedSince == 0 {
		// UNCHANGEDSINCE 0 fails for every message (RFC 7162 §3.1.3).
		return s.modified(c, uids)
	}
	res, err := s.srv.st.StoreFlags(s.ctx, s.v.mb.ID, uids, ch)
	if err != nil {
		return s.storeError("store", err)
	}
	updated := map[store.UID]store.Message{}
	for _, m := range res.Updated {
		updated[m.UID] = m
		s.v.sentFlags[m.UID] = m.ModSeq
	}
	if st := s.storeResponses(c, a.silent, uids, updated, res.Modified); st.kind != "" {
		return st
	}
	if len(res.Modified) > 0 {
		return s.modified(c, res.Modified)
	}
	return respOK("STORE completed")
}

// storeResponses sends FETCH for the stored messages: FLAGS unless
// .SILENT; under CONDSTORE UID and MODSEQ, even when silent (RFC 7162
// §3.1: "both UID and mod-sequence data in all subsequent untagged FETCH
// responses", §3.1.3).
func (s *session) storeResponses(c *command, silent bool, uids []store.UID, updated map[store.UID]store.Message,
	modified []store.UID) status {
	if silent && !s.condstore {
		return status{}
	}
	skip := map[store.UID]bool{}
	for _, u := range modified {
		skip[u] = true
	}
	var msgs []store.Message
	if silent {
		for _, u := range uids {
			if m, ok := updated[u]; ok {
				msgs = append(msgs, m)
			}
		}
	} else {
		var err error
		if msgs, err = s.loadMessages(uids); err != nil {
			return s.storeError("store", err)
		}
	}
	for _, m := range msgs {
		seq := s.v.seqOf(m.UID)
		if seq == 0 || skip[m.UID] {
			continue
		}
		if !silent {
			s.announceKeywords(m.Keywords)
		}
		uidFetch := s.fetchHead(seq, m.UID)
		sep := ""
		if (c.uid || s.condstore) && !uidFetch {
			s.w.raw("UID " + utoa(uint64(m.UID)))
			sep = " "
		}
		if !silent {
			s.w.raw(sep + "FLAGS " + imapmsg.FlagsList(m.Flags, m.Keywords, s.recentFlag(m.UID)))
			sep = " "
		}
		if s.condstore {
			s.w.raw(sep + "MODSEQ (" + utoa(uint64(m.ModSeq)) + ")")
		}
		s.w.raw(")\r\n")
	}
	return status{}
}

// modified answers a conditional STORE some messages failed: [MODIFIED]
// with UIDs for UID STORE, sequence numbers for STORE.
func (s *session) modified(c *command, uids []store.UID) status {
	if c.uid {
		return respOKCode("MODIFIED "+formatNums(uids), "Conditional STORE failed")
	}
	seqs := make([]uint32, 0, len(uids))
	for _, u := range uids {
		if n := s.v.seqOf(u); n > 0 {
			seqs = append(seqs, uint32(n))
		}
	}
	return respOKCode("MODIFIED "+formatNums(seqs), "Conditional STORE failed")
}
