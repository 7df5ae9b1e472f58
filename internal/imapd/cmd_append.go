package imapd

import (
	"bytes"
	"github.com/petrelmail/petrel/internal/imapacl"
	"io"
	"os"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// memSpoolMax is the largest APPEND literal kept in memory; larger ones go
// to a temporary file. The store keeps bodies up to this size inline and
// writes larger ones to files of their own anyway.
const memSpoolMax = 256 << 10

// appendMemMax bounds the octets of one command's APPEND messages held
// in memory, so the memory of a session (README "IMAP"); the rest go to
// spool files.
const appendMemMax = 1 << 20

// appendBudget is what one APPEND/MULTIAPPEND command may still receive.
type appendBudget struct {
	total int64 // octets left of Config.MaxAppendTotal
	mem   int64 // octets left of appendMemMax
}

// spooled is an APPEND message body received from the client.
type spooled struct {
	data []byte
	f    *os.File
	size int64
	nul  bool // holds a NUL octet (append_nul.go)
}

// open returns a reader of the whole body from its start.
func (s *spooled) open() io.Reader {
	if s.f != nil {
		return io.NewSectionReader(s.f, 0, s.size)
	}
	return bytes.NewReader(s.data)
}

func (s *spooled) close() {
	if s != nil && s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// appendArgs are APPEND's mailbox and messages (several for
// MULTIAPPEND).
type appendArgs struct {
	mailbox string
	msgs    []*appendMsg
}

// appendMsg is one message of APPEND / MULTIAPPEND.
type appendMsg struct {
	flags []string
	date  string // date-time as sent, "" for none
	body  *spooled
	utf8  bool
}

// release frees the spooled bodies.
func (a *appendArgs) release() {
	for _, m := range a.msgs {
		m.body.close()
	}
}

// parseAppend reads APPEND mailbox [flags] [date-time] message, repeated
// for MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502, RFC 3516 §4.4 literal8,
// RFC 6855 §4 UTF8).
func parseAppend(s *session, r *reader, _ *command, a *appendArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	budget := &appendBudget{total: s.srv.cfg.MaxAppendTotal, mem: appendMemMax}
	for r.peek() == ' ' {
		r.pos++
		m, err := s.appendMessage(r, budget)
		if m != nil {
			a.msgs = append(a.msgs, m)
		}
		if err != nil {
			return err
		}
	}
	if len(a.msgs) == 0 {
		return errSyntax("APPEND needs a message")
	}
	return nil
}

func (s *session) appendMessage(r *reader, budget *appendBudget) (*appendMsg, error) {
	m := &appendMsg{}
	if r.peek() == '(' {
		var err error
		if m.flags, err = r.flagList(false); err != nil {
			return nil, err
		}
		if err := r.sp(); err != nil {
			return nil, err
		}
	}
	if r.peek() == '"' {
		d, err := r.quoted()
		if err != nil {
			return nil, err
		}
		if _, err := parseDateTime(d); err != nil {
			return nil, err
		}
		m.date = d
		if err := r.sp(); err != nil {
			return nil, err
		}
	}
	closeParen := false
	if r.hasWord("UTF8") {
		if err := r.expect('('); err != nil {
			return nil, err
		}
		m.utf8, closeParen = true, true
	}
	body, err := s.appendLiteral(r, budget)
	if err != nil {
		return nil, err
	}
	m.body = body
	if closeParen {
		return m, r.expect(')')
	}
	return m, nil
}

// appendLiteral reads a message literal, refusing it with [TOOBIG] past
// the APPENDLIMIT (RFC 7889 §3), or with [LIMIT] (RFC 5530 §3) past what
// the command may still receive, before the client sends it. While the
// disk is short of space, past what it can take is [UNAVAILABLE]
// (space.go).
func (s *session) appendLiteral(r *reader, budget *appendBudget) (*spooled, error) {
	limit := min(s.srv.cfg.MaxMessageSize, budget.total)
	room := s.appendRoom(limit)
	n, binary, err := r.startLiteral(min(limit, room), true)
	if err != nil {
		if se, ok := err.(*syntaxError); ok && se.code == "TOOBIG" && se != errLineTooLong && room < limit {
			s.log.Warn("APPEND refused: not enough free disk space", "room", room)
			se.kind, se.code, se.msg = "NO", "UNAVAILABLE", "Insufficient system storage; try again later"
		} else if ok && se.code == "TOOBIG" && se != errLineTooLong {
			se.kind = "NO"
			se.msg = "Message exceeds the APPENDLIMIT"
			if limit < s.srv.cfg.MaxMessageSize {
				se.code = "LIMIT"
				se.msg = "The messages of this command exceed " + itoa(int(s.srv.cfg.MaxAppendTotal)) +
					" octets together: append them in several commands"
			}
		}
		return nil, err
	}
	budget.total -= n
	sp := &spooled{size: n}
	if n <= memSpoolMax && n <= budget.mem {
		budget.mem -= n
		sp.data = make([]byte, n)
		if _, err := io.ReadFull(r.br, sp.data); err != nil {
			return nil, err
		}
		sp.nul = bytes.IndexByte(sp.data, 0) >= 0
	} else {
		f, err := os.CreateTemp(s.srv.cfg.SpoolDir, "imap-append-*")
		if err != nil {
			// Consume the literal so the stream stays in sync.
			io.CopyN(io.Discard, r.br, n)
			r.readLine()
			return nil, &syntaxError{kind: "NO", code: "UNAVAILABLE", msg: "Cannot receive the message now"}
		}
		sp.f = f
		nw := &nulWriter{w: f}
		if _, err := io.CopyN(nw, r.br, n); err != nil {
			sp.close()
			return nil, err
		}
		sp.nul = nw.seen
	}
	if err := r.readLine(); err != nil {
		sp.close()
		return nil, err
	}
	if sp.nul && !binary {
		// RFC 9051 §4.3: a literal is CHAR8, which excludes NUL; only a
		// literal8 may carry it (RFC 3516 §4.4). The literal was read,
		// so the stream stays in step; skipCommand reads the rest.
		sp.close()
		return nil, errSyntax("NUL octets may be sent only in a literal8 (~{n}): message not stored")
	}
	return sp, nil
}

// parseDateTime parses an IMAP date-time ("17-Jul-1996 02:44:25 -0700";
// the day may be space-padded).
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse("_2-Jan-2006 15:04:05 -0700", s)
	if err != nil {
		t, err = time.Parse("2-Jan-2006 15:04:05 -0700", strings.TrimSpace(s))
	}
	if err != nil {
		return time.Time{}, errSyntax("Bad date-time")
	}
	return t, nil
}

// cmdAppend stores one message, or several atomically for MULTIAPPEND
// (RFC 9051 §6.3.12, RFC 3502, RFC 4315 APPENDUID, RFC 7889, RFC 9208
// OVERQUOTA).
func (s *session) cmdAppend(_ *command, a *appendArgs) status {
	t, st, found := s.resolve(a.mailbox, imapacl.AppendTo) // RFC 4314 §4: i
	mb := t.mb
	if !found {
		if st.code == "NONEXISTENT" {
			st.code = "TRYCREATE"
		}
		return st
	}
	// RFC 3502 §3: every message is checked before any is stored.
	msgs := make([]store.AppendMessage, len(a.msgs))
	for i, m := range a.msgs {
		if st = s.encodeNUL(m); st.kind != "" {
			return st
		}
		if msgs[i], st = appendMessage(m); st.kind != "" {
			return st
		}
		// RFC 4314 §4: the flags need s, t, w; those not allowed are dropped.
		msgs[i].Flags, msgs[i].Keywords = permittedFlags(t.rights, msgs[i].Flags, msgs[i].Keywords)
	}
	var res store.Appended
	var err error
	if len(msgs) == 1 {
		res, err = s.appendOne(mb, msgs[0])
	} else {
		// RFC 3502 §3: "If the server is unable to append all of the
		// messages, it MUST NOT append any": one store transaction.
		res, err = s.srv.st.AppendBatch(s.ctx, mb.Account, mb.ID, msgs)
	}
	if err != nil {
		return s.appendError(err)
	}
	if s.v != nil && s.v.mb.ID == mb.ID {
		s.v.dirty = true
	}
	if !uidCodes(t) {
		return respOK("APPEND completed")
	}
	// RFC 4315 §3: APPENDUID with the UIDs in the order of the messages.
	return respOKCode("APPENDUID "+utoa(uint64(res.UIDValidity))+" "+formatOrdered(res.UIDs), "APPEND completed")
}

// appendMessage checks the flags and date-time of one APPEND message.
func appendMessage(m *appendMsg) (store.AppendMessage, status) {
	flags, kw, valid := parseFlags(m.flags)
	if !valid {
		return store.AppendMessage{}, respBAD("Unknown system flag")
	}
	am := store.AppendMessage{Body: m.body.open(), Meta: appendMeta(m.body), Flags: flags, Keywords: kw}
	if m.date != "" {
		t, err := parseDateTime(m.date)
		if err != nil {
			return store.AppendMessage{}, respBAD("Bad date-time")
		}
		am.InternalDate = t
	}
	return am, status{}
}

// appendOne stores a single APPEND message with Deliver.
func (s *session) appendOne(mb store.Mailbox, m store.AppendMessage) (store.Appended, error) {
	res, err := s.srv.st.Deliver(s.ctx, store.NewMessage{Body: m.Body, Meta: m.Meta, InternalDate: m.InternalDate}, []store.Target{{
		Account: mb.Account, Mailbox: mb.ID, Flags: m.Flags, Keywords: m.Keywords,
	}})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		return store.Appended{}, err
	}
	d := res[0]
	return store.Appended{Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UIDs: []store.UID{d.UID}, ModSeq: d.ModSeq}, nil
}

// appendError maps a store error of APPEND to its response: a mailbox
// deleted since the lookup is [TRYCREATE] (RFC 9051 §6.3.12).
func (s *session) appendError(err error) status {
	st := s.storeError("append", err)
	if store.IsKind(err, store.KindNotFound) {
		st.code = "TRYCREATE"
	}
	return st
}

// appendMeta parses an APPEND message before the store (docs/flow.md),
// a spooled one from its file without taking it into the heap. nil (the
// spool file could not be read) leaves the parse to the store, which
// reads the same file and reports the error.
func appendMeta(b *spooled) *msgmeta.Meta {
	if b.f == nil {
		return msgmeta.ParseBytes(b.data)
	}
	m, err := msgmeta.ParseFile(b.f, b.size)
	if err != nil {
		return nil
	}
	return m
}
