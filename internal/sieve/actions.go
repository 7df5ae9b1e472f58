package sieve

import (
	"net/mail"
	"strings"
	"time"
)

// action runs a command that is not control flow.
func (r *run) action(n *node) error {
	c := n.c
	switch n.name {
	case "keep":
		return r.store(n, Keep, r.env.DefaultMailbox)
	case "fileinto":
		return r.store(n, FileInto, r.expand(c.args[0].strs[0]))
	case "discard":
		// Recorded once, for the caller's log; what counts is that the
		// implicit keep is cancelled (RFC 5228 §4.4).
		r.cancel = true
		for _, b := range r.actions {
			if b.Kind == Discard {
				return nil
			}
		}
		return r.add(n, Action{Kind: Discard})
	case "redirect":
		return r.redirect(n)
	case "reject", "ereject":
		return r.reject(n)
	case "setflag", "addflag", "removeflag":
		return r.flagCmd(n)
	case "set":
		return r.set(n)
	case "vacation":
		return r.vacationCmd(n)
	case "addheader", "deleteheader":
		return r.editHeader(n)
	}
	return r.fail(n.pos, "command %s not implemented", n.name)
}

func (r *run) add(n *node, a Action) error {
	for _, b := range r.actions {
		if b.Kind == Reject || b.Kind == Ereject {
			return r.fail(n.pos, "%s conflicts with an earlier reject", n.name)
		}
	}
	if len(r.actions) >= r.lim.MaxActions {
		return r.fail(n.pos, "too many actions")
	}
	r.actions = append(r.actions, a)
	return nil
}

// store files the message into a mailbox; a second store into the same
// mailbox merges with the first (RFC 5228 §2.10.3).
func (r *run) store(n *node, k Kind, mbox string) error {
	c := n.c
	flags := r.flags
	if a, ok := c.tags["flags"]; ok {
		flags = r.flagList(a.strs)
	}
	if !c.has("copy") {
		r.cancel = true
	}
	if strings.EqualFold(mbox, "INBOX") {
		mbox = r.env.DefaultMailbox
	}
	for i, b := range r.actions {
		if (b.Kind == Keep || b.Kind == FileInto) && b.Mailbox == mbox {
			r.actions[i].Flags = mergeFlags(b.Flags, flags)
			r.actions[i].Create = b.Create || c.has("create")
			return nil
		}
	}
	return r.add(n, Action{Kind: k, Mailbox: mbox, Flags: append([]string(nil), flags...), Create: c.has("create"), Copy: c.has("copy")})
}

func (r *run) redirect(n *node) error {
	addr := r.expand(n.c.args[0].strs[0])
	if !validRedirect(addr) {
		return r.fail(n.pos, "redirect to an invalid address %q", addr)
	}
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">")
	if !n.c.has("copy") {
		r.cancel = true
	}
	count := 0
	for _, b := range r.actions {
		if b.Kind == Redirect {
			if strings.EqualFold(b.Address, addr) {
				return nil
			}
			count++
		}
	}
	if count >= r.lim.MaxRedirects {
		return r.fail(n.pos, "too many redirects")
	}
	return r.add(n, Action{Kind: Redirect, Address: addr, Copy: n.c.has("copy")})
}

// validFrom accepts an RFC 5322 address, with or without a display name
// (RFC 5230 §4.4).
func validFrom(a string) bool {
	_, err := mail.ParseAddress(a)
	return err == nil
}

// validRedirect accepts an RFC 5321 mailbox, with or without angle
// brackets (RFC 5228 §4.2).
func validRedirect(a string) bool {
	a = strings.TrimSpace(a)
	a = strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
	i := strings.LastIndexByte(a, '@')
	return i > 0 && i < len(a)-1 && !strings.ContainsAny(a, " \t\r\n,<>")
}

// reject refuses the message; it cannot go with keep, fileinto or
// redirect (RFC 5429 §2.1, §2.2).
func (r *run) reject(n *node) error {
	for _, b := range r.actions {
		switch b.Kind {
		case Keep, FileInto, Reject, Ereject:
			return r.fail(n.pos, "%s conflicts with an earlier %s", n.name, b.Kind)
		case Redirect:
			// Even with :copy the message would be delivered (RFC 5429 §2.1).
			return r.fail(n.pos, "%s conflicts with an earlier redirect", n.name)
		}
	}
	r.cancel = true
	return r.add(n, Action{Kind: Kind(n.name), Reason: r.expand(n.c.args[0].strs[0])})
}

func (r *run) vacationCmd(n *node) error {
	if r.vacation {
		return r.fail(n.pos, "only one vacation per run")
	}
	r.vacation = true
	c := n.c
	period := 7 * 24 * time.Hour
	if a, ok := c.tags["days"]; ok {
		period = time.Duration(max(a.num, 1)) * 24 * time.Hour
	}
	if a, ok := c.tags["seconds"]; ok {
		period = time.Duration(a.num) * time.Second
	}
	v := &VacationReply{Reason: r.expand(c.args[0].strs[0]), Subject: r.expand(c.str("subject")),
		From: r.expand(c.str("from")), MIME: c.has("mime"), Handle: r.expand(c.str("handle")), Period: period}
	if a, ok := c.tags["addresses"]; ok {
		v.Addresses = r.expandList(a.strs)
	}
	if v.Handle == "" {
		// RFC 5230 §4.2: the default handle covers the arguments.
		v.Handle = v.Reason + v.Subject + v.From
		if v.MIME {
			v.Handle += "<MIME>"
		}
	}
	return r.add(n, Action{Kind: Vacation, Reason: v.Reason, Vacation: v})
}

// flagList splits flag strings on spaces and drops duplicates, ignoring
// case (RFC 5232 §3).
func (r *run) flagList(strs []string) []string {
	var out []string
	for _, s := range r.expandList(strs) {
		out = mergeFlags(out, strings.Fields(s))
	}
	return out
}

func mergeFlags(have, add []string) []string {
	out := append([]string(nil), have...)
next:
	for _, f := range add {
		for _, h := range out {
			if strings.EqualFold(h, f) {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

func (r *run) flagCmd(n *node) error {
	c := n.c
	add := r.flagList(c.args[1].strs)
	cur := r.flags
	varName := ""
	if len(c.args[0].strs) > 0 {
		varName = r.expand(c.args[0].strs[0])
		cur = strings.Fields(r.getVar(varName))
	}
	switch n.name {
	case "setflag":
		cur = mergeFlags(nil, add)
	case "addflag":
		cur = mergeFlags(cur, add)
	case "removeflag":
		var keep []string
		for _, f := range cur {
			if !inFold(add, f) {
				keep = append(keep, f)
			}
		}
		cur = keep
	}
	if varName != "" {
		return r.setVar(n, varName, strings.Join(cur, " "))
	}
	r.flags = cur
	return nil
}

func inFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// flagValues are the flags a hasflag test reads (RFC 5232 §4).
func (r *run) flagValues(vars arg) []string {
	if len(vars.strs) == 0 {
		return r.flags
	}
	var out []string
	for _, v := range r.expandList(vars.strs) {
		out = mergeFlags(out, strings.Fields(r.getVar(v)))
	}
	return out
}
