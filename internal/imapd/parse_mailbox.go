package imapd

import "strings"

// parseSelect reads SELECT/EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]
// (RFC 9051 §6.3.2, RFC 7162 §3.1.8 and §3.2.5).
func parseSelect(s *session, r *reader, c *command) error {
	if err := oneMailbox(s, r, c); err != nil {
		return err
	}
	c.sel = &selectArgs{}
	if r.peek() != ' ' {
		return nil
	}
	r.pos++
	return r.list(func() error {
		a, err := r.atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "CONDSTORE":
			c.sel.condstore = true
			return nil
		case "QRESYNC":
			if err := r.sp(); err != nil {
				return err
			}
			c.sel.qresync, err = r.qresyncParams()
			return err
		}
		return errSyntax("Unknown SELECT parameter")
	})
}

// qresyncParams reads "(" uidvalidity SP modseq [SP known-uids]
// [SP seq-match-data] ")" (RFC 7162 §3.2.5).
func (r *reader) qresyncParams() (*qresyncArgs, error) {
	q := &qresyncArgs{}
	if err := r.expect('('); err != nil {
		return nil, err
	}
	var err error
	if q.uidValidity, err = r.nzNumber32(); err != nil {
		return nil, err
	}
	if err := r.sp(); err != nil {
		return nil, err
	}
	if q.modSeq, err = r.number(); err != nil {
		return nil, err
	}
	if r.peek() == ' ' {
		r.pos++
		if r.peek() != '(' {
			set, err := r.numSet()
			if err != nil || set.saved {
				return nil, errSyntax("Bad known UIDs")
			}
			q.knownUIDs = &set
			if r.peek() == ' ' {
				r.pos++
			}
		}
		if r.peek() == '(' {
			r.pos++
			seqs, err := r.numSet()
			if err != nil {
				return nil, err
			}
			if err := r.sp(); err != nil {
				return nil, err
			}
			uids, err := r.numSet()
			if err != nil {
				return nil, err
			}
			if err := r.expect(')'); err != nil {
				return nil, err
			}
			q.seqMatch, q.uidMatch = &seqs, &uids
		}
	}
	return q, r.expect(')')
}

// parseList reads LIST and LSUB with the RFC 5258 extended syntax and the
// RFC 5819 STATUS return option.
func parseList(_ *session, r *reader, c *command) error {
	l := &listArgs{lsub: c.name == "LSUB"}
	c.list = l
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
