package imapd

import (
	"github.com/petrelmail/petrel/internal/imapacl"
	"sort"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// listArgs are LIST / LSUB arguments with RFC 5258 options.
type listArgs struct {
	ref      string
	patterns []string
	// selection options
	subscribed, recursive, specialUse, remote bool
	// return options
	retSubscribed, retChildren, retSpecialUse bool
	retMyRights                               bool // RFC 8440 LIST-MYRIGHTS
	retStatus                                 []string
	extended                                  bool // any option given or several patterns
	lsub                                      bool
}

// parseList reads LIST and LSUB with the RFC 5258 extended syntax and the
// RFC 5819 STATUS return option.
func parseList(_ *session, r *reader, c *command, l *listArgs) error {
	l.lsub = c.name == "LSUB"
	if err := r.sp(); err != nil {
		return err
	}
	if r.peek() == '(' && !l.lsub {
		l.extended = true
		if err := r.list(func() error { return l.selectOption(r) }); err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	var err error
	if l.ref, err = r.astring(); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	if r.peek() == '(' && !l.lsub {
		l.extended = true
		err = r.list(func() error {
			p, err := r.listMailbox()
			l.patterns = append(l.patterns, p)
			return err
		})
	} else {
		var p string
		p, err = r.listMailbox()
		l.patterns = append(l.patterns, p)
	}
	if err != nil {
		return err
	}
	if r.peek() == ' ' && !l.lsub {
		r.pos++
		a, err := r.atom()
		if err != nil || !strings.EqualFold(a, "RETURN") {
			return errSyntax("Expected RETURN")
		}
		if err := r.sp(); err != nil {
			return err
		}
		l.extended = true
		return r.list(func() error { return l.returnOption(r) })
	}
	return nil
}

func (l *listArgs) selectOption(r *reader) error {
	a, err := r.atom()
	if err != nil {
		return err
	}
	switch strings.ToUpper(a) {
	case "SUBSCRIBED":
		l.subscribed = true
	case "REMOTE":
		l.remote = true
	case "RECURSIVEMATCH":
		l.recursive = true
	case "SPECIAL-USE":
		l.specialUse = true
	default:
		// RFC 5258 §3.1: unknown selection options make the command BAD.
		return errSyntax("Unknown LIST selection option")
	}
	return nil
}

func (l *listArgs) returnOption(r *reader) error {
	a, err := r.atom()
	if err != nil {
		return err
	}
	switch strings.ToUpper(a) {
	case "SUBSCRIBED":
		l.retSubscribed = true
	case "CHILDREN":
		l.retChildren = true
	case "SPECIAL-USE":
		l.retSpecialUse = true
	case "MYRIGHTS":
		l.retMyRights = true
	case "STATUS":
		if err := r.sp(); err != nil {
			return err
		}
		l.retStatus, err = r.statusItems()
		return err
	default:
		return errSyntax("Unknown LIST return option")
	}
	return nil
}

// listEntry is one name LIST may return.
type listEntry struct {
	name       string
	mb         *store.Mailbox // nil: does not exist
	subscribed bool
	children   bool // has inferiors (existing, or subscribed for CHILDINFO)
	subChild   bool // has subscribed inferiors (RFC 5258 CHILDINFO)
	// rights are the session's on mb: all on its own, those granted on
	// a shared mailbox (acl.go).
	rights imapacl.Rights
}

// cmdList answers LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9 LSUB,
// RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE).
func (s *session) cmdList(c *command, l *listArgs) status {
	if l.recursive && !l.subscribed {
		return respBAD("RECURSIVEMATCH needs another selection option")
	}
	// A reference or pattern may hold any atom characters (RFC 9051
	// §6.3.9), "&" included: one that is not valid modified UTF-7
	// (RFC 9051 §5.1.3) names no mailbox, so it matches nothing.
	ref, refOK := s.mailboxPattern(l.ref)
	if !l.lsub && len(l.patterns) == 1 && l.patterns[0] == "" {
		// RFC 9051 §6.3.9: the hierarchy delimiter and root name.
		s.w.raw(`* LIST (\Noselect) "` + store.HierarchySep + `" ""` + "\r\n")
		return respOK("LIST completed")
	}
	entries, err := s.listEntries()
	if err != nil {
		return s.storeError("list", err)
	}
	var pats []string
	for _, p := range l.patterns {
		if p, ok := s.mailboxPattern(p); ok && refOK {
			pats = append(pats, canonicalPattern(ref, p))
		}
	}
	for _, e := range entries {
		if !s.listSelected(l, e, entries, pats) {
			continue
		}
		s.writeListEntry(l, e)
		// RFC 4314 §4: STATUS needs "r"; RFC 5819 §2 leaves it out then.
		if len(l.retStatus) > 0 && e.mb != nil && e.rights.Has(imapacl.Read) {
			if st := s.writeStatusAs(*e.mb, e.name, l.retStatus); st.kind != "" {
				return st
			}
		}
		if l.retMyRights && e.mb != nil { // RFC 8440 §3
			s.writeMyRights(e.name, e.rights)
		}
	}
	return respOK(c.name + " completed")
}

// mailboxPattern decodes a reference or pattern like a mailbox name but
// keeps wildcards and a trailing separator.
func (s *session) mailboxPattern(raw string) (string, bool) {
	if s.utf8 {
		return raw, true
	}
	return decodeMUTF7(raw)
}

// canonicalPattern joins reference and pattern (RFC 9051 §6.3.9) and
// makes a leading INBOX case-insensitive.
func canonicalPattern(ref, pat string) string {
	full := pat
	if !strings.HasPrefix(pat, store.HierarchySep) {
		full = ref + pat
	}
	first, rest, found := strings.Cut(full, store.HierarchySep)
	if strings.EqualFold(first, store.InboxName) {
		full = store.InboxName
		if found {
			full += store.HierarchySep + rest
		}
	}
	return full
}

// listEntries returns every existing and subscribed name, with implied
// parents of deeper names, sorted by name.
func (s *session) listEntries() ([]*listEntry, error) {
	mbs, err := s.srv.st.Mailboxes(s.ctx, s.acct.ID)
	if err != nil {
		return nil, err
	}
	subs, err := s.srv.st.Subscriptions(s.ctx, s.acct.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]*listEntry{}
	get := func(name string) *listEntry {
		e := byName[name]
		if e == nil {
			e = &listEntry{name: name}
			byName[name] = e
		}
		return e
	}
	for i := range mbs {
		e := get(mbs[i].Name)
		e.mb, e.rights = &mbs[i], imapacl.All
	}
	if err := s.listShared(get); err != nil { // acl.go
		return nil, err
	}
	for _, n := range subs {
		get(n).subscribed = true
	}
	for name, e := range byName {
		for p := parentOf(name); p != ""; p = parentOf(p) {
			pe := get(p)
			if e.mb != nil {
				pe.children = true
			}
			if e.subscribed {
				pe.subChild = true
			}
		}
	}
	out := make([]*listEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func parentOf(name string) string {
	if i := strings.LastIndex(name, store.HierarchySep); i > 0 {
		return name[:i]
	}
	return ""
}

// listSelected decides whether e, one of the sorted entries, is returned.
func (s *session) listSelected(l *listArgs, e *listEntry, entries []*listEntry, pats []string) bool {
	if !matchesAny(pats, e.name) {
		return false
	}
	switch {
	case l.lsub:
		// RFC 3501 §6.3.9: with "%", the unsubscribed parent of a
		// subscribed child "%" stops short of is returned (\Noselect).
		return e.subscribed || (e.subChild && strings.Contains(pats[0], "%") && subscribedUnmatched(e, entries, pats))
	case l.subscribed:
		// RFC 5258 §3.5: an unsubscribed parent comes with CHILDINFO only
		// when a subscribed descendant is not returned itself.
		return e.subscribed || (l.recursive && e.subChild && subscribedUnmatched(e, entries, pats))
	case l.specialUse:
		return e.mb != nil && e.mb.SpecialUse != store.UseNone
	case e.mb == nil:
		// A missing parent is listed only where "%" stops at its level
		// (RFC 9051 §6.3.9), as \NonExistent (RFC 5258 §3).
		return e.children && s.impliedParentWanted(e, pats)
	}
	return true
}

// subscribedUnmatched reports whether e has a subscribed descendant that
// no pattern matches. Descendants share the prefix "name/", so they are
// one run of the sorted entries.
func subscribedUnmatched(e *listEntry, entries []*listEntry, pats []string) bool {
	prefix := e.name + store.HierarchySep
	i := sort.Search(len(entries), func(i int) bool { return entries[i].name >= prefix })
	for ; i < len(entries) && strings.HasPrefix(entries[i].name, prefix); i++ {
		if entries[i].subscribed && !matchesAny(pats, entries[i].name) {
			return true
		}
	}
	return false
}

func matchesAny(pats []string, name string) bool {
	for _, p := range pats {
		if matchPattern(p, name) {
			return true
		}
	}
	return false
}

// impliedParentWanted: some pattern matches the parent but none of its
// existing children (the "%" case).
func (s *session) impliedParentWanted(e *listEntry, pats []string) bool {
	for _, p := range pats {
		if matchPattern(p, e.name) && !matchPattern(p, e.name+store.HierarchySep+"x") {
			return true
		}
	}
	return false
}

// writeListEntry writes one LIST or LSUB response.
func (s *session) writeListEntry(l *listArgs, e *listEntry) {
	var attrs []string
	switch {
	case l.lsub && (e.mb == nil || !e.subscribed):
		// Not subscribed: listed for a subscribed child (RFC 3501 §6.3.9).
		attrs = append(attrs, `\Noselect`)
	case e.mb == nil:
		attrs = append(attrs, `\NonExistent`)
		if !s.rev2 && !l.extended {
			attrs[0] = `\Noselect`
		}
	}
	if !l.lsub {
		if e.children {
			attrs = append(attrs, `\HasChildren`)
		} else if e.mb != nil {
			attrs = append(attrs, `\HasNoChildren`)
		}
	}
	if e.subscribed && (l.subscribed || l.retSubscribed) {
		attrs = append(attrs, `\Subscribed`)
	}
	if e.mb != nil && e.mb.SpecialUse != store.UseNone && !l.lsub {
		attrs = append(attrs, string(e.mb.SpecialUse))
	}
	cmd := "LIST"
	if l.lsub {
		cmd = "LSUB"
	}
	s.w.raw("* " + cmd + " (" + strings.Join(attrs, " ") + `) "` + store.HierarchySep + `" `)
	s.writeMailbox(e.name)
	if l.recursive && e.subChild && !e.subscribed {
		s.w.raw(` ("CHILDINFO" ("SUBSCRIBED"))`)
	}
	s.w.crlf()
}

// matchPattern matches a LIST pattern: "*" matches anything, "%" anything
// but the hierarchy separator (RFC 9051 §6.3.9). Dynamic programming over
// suffixes: O(len(pat) * len(name)).
func matchPattern(pat, name string) bool {
	sep := store.HierarchySep[0]
	// next[j]: pat[i+1:] matches name[j:]; cur[j]: pat[i:] matches name[j:].
	next := make([]bool, len(name)+1)
	cur := make([]bool, len(name)+1)
	next[len(name)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		c := pat[i]
		cur[len(name)] = (c == '*' || c == '%') && next[len(name)]
		for j := len(name) - 1; j >= 0; j-- {
			switch c {
			case '*':
				cur[j] = next[j] || cur[j+1]
			case '%':
				cur[j] = next[j] || (name[j] != sep && cur[j+1])
			default:
				cur[j] = c == name[j] && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}
