package imapd

import (
	"bytes"
	"io"
	"os"
	"strings"
	"time"
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

// release frees the spooled APPEND bodies of a command.
func (c *command) release() {
	if c == nil {
		return
	}
	for _, m := range c.append {
		m.body.close()
	}
}

// parseAppend reads APPEND mailbox [flags] [date-time] message, repeated
// for MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502, RFC 3516 §4.4 literal8,
// RFC 6855 §4 UTF8).
func parseAppend(s *session, r *reader, c *command) error {
	if err := oneMailbox(s, r, c); err != nil {
		return err
	}
	budget := &appendBudget{total: s.srv.cfg.MaxAppendTotal, mem: appendMemMax}
	for r.peek() == ' ' {
		r.pos++
		m, err := s.appendMessage(r, budget)
		if m != nil {
			c.append = append(c.append, m)
		}
		if err != nil {
			return err
		}
	}
	if len(c.append) == 0 {
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
	n, _, err := r.startLiteral(min(limit, room), true)
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
	} else {
		f, err := os.CreateTemp(s.srv.cfg.SpoolDir, "imap-append-*")
		if err != nil {
			// Consume the literal so the stream stays in sync.
			io.CopyN(io.Discard, r.br, n)
			r.readLine()
			return nil, &syntaxError{kind: "NO", code: "UNAVAILABLE", msg: "Cannot receive the message now"}
		}
		sp.f = f
		if _, err := io.CopyN(f, r.br, n); err != nil {
			sp.close()
			return nil, err
		}
	}
	if err := r.readLine(); err != nil {
		sp.close()
		return nil, err
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
