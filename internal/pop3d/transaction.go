package pop3d

import (
	"fmt"
	"strconv"

	"github.com/petrelmail/petrel/internal/store"
)

// openMaildrop locks the account's maildrop and reads it, entering the
// TRANSACTION state (RFC 1939 §4). A maildrop in use by another POP3
// session, on this node or another, is refused with [IN-USE] (RFC 2449
// §8.1.1); the session stays in AUTHORIZATION.
func (s *session) openMaildrop(acct store.Account) Reply {
	ctx, cancel := s.opContext()
	defer cancel()
	lease, err := s.srv.lock(ctx, acct.ID, s.id)
	if err != nil {
		return s.storeFailure("lock maildrop", err)
	}
	if lease == nil {
		s.log.Info("login refused: maildrop in use", "account", acct.Address)
		return replyInUse
	}
	md, err := openMaildrop(ctx, s.srv.st, acct.ID)
	if err != nil {
		s.unlock(lease)
		return s.storeFailure("open maildrop", err)
	}
	s.acct, s.md, s.lease, s.state = acct, md, lease, stateTransaction
	s.log = s.log.With("account", acct.Address)
	s.seen = newSeenMarker(s.srv.st, md.mailbox.ID, s.srv.cfg.SeenFlushDelay, s.log)
	n, size := md.live()
	s.log.Info("logged in", "messages", n, "tls", s.isTLS)
	return ok("Maildrop has %d messages (%d octets)", n, size)
}

// message resolves a message-number argument: the entry, or the reply
// that refuses it.
func (s *session) message(arg string) (*entry, Reply, bool) {
	n, valid := parseNumber(arg)
	if !valid {
		return nil, replySyntax, false
	}
	e := s.md.get(n)
	switch {
	case e == nil:
		return nil, replyNoSuchMessage, false
	case e.deleted:
		return nil, alreadyDeleted(n), false
	case e.gone:
		return nil, replyExpunged, false
	}
	return e, Reply{}, true
}

// stat is STAT (RFC 1939 §5): messages not marked deleted, and their size.
func (s *session) stat(args []string) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	n, size := s.md.live()
	return ok("%d %d", n, size)
}

// list is LIST (RFC 1939 §5), sizes of the message as RETR delivers it
// un-stuffed (§11).
func (s *session) list(args []string) Reply {
	return s.listing(args, func(e *entry) string { return strconv.FormatInt(e.size, 10) })
}

// uidl is UIDL (RFC 1939 §7).
func (s *session) uidl(args []string) Reply {
	return s.listing(args, s.md.uidl)
}

// listing answers LIST and UIDL: one message, or all that are not
// deleted, as "n value".
func (s *session) listing(args []string, value func(*entry) string) Reply {
	switch len(args) {
	case 0:
		lines := make([]string, 0, len(s.md.msgs))
		for i := range s.md.msgs {
			if e := &s.md.msgs[i]; !e.deleted && !e.gone {
				lines = append(lines, strconv.Itoa(i+1)+" "+value(e))
			}
		}
		n, size := s.md.live()
		return Reply{OK: true, Text: fmt.Sprintf("%d messages (%d octets)", n, size), Multi: true, Lines: lines}
	case 1:
		e, r, found := s.message(args[0])
		if !found {
			return r
		}
		return ok("%s %s", args[0], value(e))
	}
	return replySyntax
}

// retr is RETR (RFC 1939 §5). It marks the message \Seen, in a batch.
func (s *session) retr(args []string) Reply {
	if len(args) != 1 {
		return replySyntax
	}
	return s.sendMessage(args[0], -1)
}

// top is TOP (RFC 1939 §7): the header, the blank line and n body lines.
// It does not mark the message \Seen.
func (s *session) top(args []string) Reply {
	if len(args) != 2 {
		return replySyntax
	}
	n, valid := parseNumber(args[1])
	if !valid {
		return replySyntax
	}
	return s.sendMessage(args[0], n)
}

// sendMessage streams a message (all of it when top < 0). A message
// expunged by another client answers -ERR: its blob ID is never reused,
// so what is sent is that message or nothing.
func (s *session) sendMessage(arg string, top int) Reply {
	e, r, found := s.message(arg)
	if !found {
		return r
	}
	ctx, cancel := s.opContext()
	defer cancel()
	blob, err := s.srv.st.OpenBlob(ctx, e.blob)
	if store.IsKind(err, store.KindNotFound) {
		e.gone = true
		return replyExpunged
	}
	if err != nil {
		return s.storeFailure("open message", err)
	}
	reply := Reply{OK: true, Multi: true, Message: &messageBody{blob: blob, top: top}}
	if top < 0 {
		reply.Text = fmt.Sprintf("%d octets", e.size)
		s.seen.add(e.uid)
		s.retrieved++
	} else {
		reply.Text = "Top of message follows"
	}
	return reply
}

// dele is DELE (RFC 1939 §5): mark only; QUIT expunges.
func (s *session) dele(args []string) Reply {
	if len(args) != 1 {
		return replySyntax
	}
	e, r, found := s.message(args[0])
	if !found {
		return r
	}
	e.deleted = true
	return ok("Message %s deleted", args[0])
}

// rset is RSET (RFC 1939 §5): unmark every deleted message.
func (s *session) rset(args []string) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	for i := range s.md.msgs {
		s.md.msgs[i].deleted = false
	}
	n, size := s.md.live()
	return ok("Maildrop has %d messages (%d octets)", n, size)
}

// noop is NOOP (RFC 1939 §5).
func (s *session) noop(args []string) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	return ok("")
}
