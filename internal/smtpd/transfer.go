package smtpd

import (
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// cmdData receives the message (RFC 5321 §4.1.1.4) and delivers it.
func (s *session) cmdData(arg string) *smtpreply.Reply {
	switch {
	case arg != "":
		return s.bad(smtpreply.BadArguments("DATA takes no arguments"))
	case s.tx != nil && s.tx.bdat != nil: // RFC 3030 §2: no DATA after BDAT
		return s.bad(smtpreply.BadSequence("DATA after BDAT in the same transaction"))
	}
	if r := s.dataSequence(); r != nil {
		return r
	}
	if r := s.spaceRefusal(s.tx.env.Size); r != nil {
		s.outcome(s.tx.env, 0, []*smtpreply.Reply{r})
		s.resetTx()
		return r
	}
	s.reply(smtpreply.StartData())
	z := newMsgReader(&s.body, s.cfg.MaxMessageSize, true)
	s.startData()
	if err := readData(s.br, z); err != nil {
		s.ioErr = err
		return nil
	}
	s.dataMode = false
	s.finish(z)
	return nil
}

// dataSequence checks that a transaction with a recipient is open, before
// DATA or BDAT. Without a recipient, SMTP answers 554 (RFC 5321 §3.3) and
// LMTP 503 (RFC 2033 §4.2); that one is not counted as a bad command: a
// pipelining client learns of its rejected recipients only then.
func (s *session) dataSequence() *smtpreply.Reply {
	switch {
	case s.tx == nil:
		return s.bad(smtpreply.BadSequence("Need MAIL command"))
	case len(s.tx.env.Recipients) > 0:
		return nil
	case s.cfg.LMTP:
		return smtpreply.BadSequence("No valid recipients")
	}
	return smtpreply.NoValidRecipients()
}

// cmdBdat receives one chunk (RFC 3030 §2). The chunk is always read,
// even when the command fails, so that the session stays in step.
func (s *session) cmdBdat(arg string) *smtpreply.Reply {
	size, last, ok := parseBdat(arg)
	if !ok {
		// The chunk size is unknown: its octets will be read as commands.
		return s.bad(smtpreply.BadArguments("Syntax: BDAT <size> [LAST]"))
	}
	if r := s.bdatSequence(); r != nil {
		if err := s.discardChunk(size); err != nil {
			s.ioErr = err
		}
		return r
	}
	tx := s.tx
	if tx.bdat == nil {
		if r := s.spaceRefusal(max(tx.env.Size, size)); r != nil {
			if err := s.discardChunk(size); err != nil {
				s.ioErr = err
			}
			s.outcome(tx.env, 0, []*smtpreply.Reply{r})
			s.resetTx()
			s.bdatFailed = !last
			return r
		}
		tx.bdat = newMsgReader(&s.body, s.cfg.MaxMessageSize, false)
	}
	s.startData()
	if err := readChunk(s.br, tx.bdat, size); err != nil {
		s.ioErr = err
		return nil
	}
	s.dataMode = false
	if last {
		tx.bdat.end()
		s.finish(tx.bdat)
		return nil
	}
	if r := s.refusal(tx.bdat); r != nil {
		// RFC 3030 §2: the transaction has failed; chunks still in the
		// pipeline are read and answered 503 (bdatSequence).
		s.outcome(tx.env, tx.bdat.size, []*smtpreply.Reply{r})
		s.resetTx()
		s.bdatFailed = true
		return r
	}
	return smtpreply.ChunkReceived(size)
}

// bdatSequence is dataSequence for BDAT, which follows a failed BDAT
// without a bad-command count.
func (s *session) bdatSequence() *smtpreply.Reply {
	if s.tx == nil && s.bdatFailed {
		return smtpreply.BadSequence("Transaction failed at an earlier BDAT; send RSET")
	}
	return s.dataSequence()
}

// parseBdat parses "chunk-size [SP LAST]" (RFC 3030 §2).
func parseBdat(arg string) (size int64, last, ok bool) {
	n, rest, _ := strings.Cut(arg, " ")
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return 0, false, false
	}
	size, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return 0, false, false
	}
	switch {
	case rest == "":
		return size, false, true
	case strings.EqualFold(rest, "LAST"):
		return size, true, true
	}
	return 0, false, false
}

// discardChunk reads and drops n octets of chunk data.
func (s *session) discardChunk(n int64) error {
	s.startData()
	defer func() { s.dataMode = false }()
	for n > 0 {
		if _, err := s.br.Peek(1); err != nil {
			return err
		}
		k := int(min(int64(s.br.Buffered()), n))
		s.br.Discard(k)
		n -= int64(k)
	}
	return nil
}

// refusal is the reply that refuses the message received so far, or nil.
func (s *session) refusal(z *msgReader) *smtpreply.Reply {
	switch {
	case z.err != nil:
		return s.spoolError(z.err)
	case z.over: // RFC 1870 §6.2
		return smtpreply.MessageTooBig(s.cfg.MaxMessageSize)
	case z.nul:
		return smtpreply.ContentRejected("Message contains NUL octets")
	}
	return nil
}

// localError logs err with a reference and returns the 451 that names
// it; the error text never reaches the client.
func (s *session) localError(what string, err error) *smtpreply.Reply {
	ref := obs.NewID()
	s.log.Error(what, "ref", ref, "err", err)
	return smtpreply.LocalError(ref)
}

// finish delivers the received message, or refuses it, and answers: one
// reply in SMTP, one per accepted recipient in RCPT order in LMTP (RFC
// 2033 §4.2). The transaction ends.
func (s *session) finish(z *msgReader) {
	env := s.tx.env
	rs := make([]*smtpreply.Reply, len(env.Recipients))
	if err := s.body.flush(); err != nil && z.err == nil {
		z.err = err // the spooled body's last octets (body.go)
	}
	if r := s.refusal(z); r != nil {
		fill(rs, r)
	} else {
		rs = s.deliver(env, z.size)
	}
	if firstFailure(rs) == nil {
		s.rcpt.errors = 0 // the session's errors count until it delivers mail (rcptguard.go)
	}
	s.outcome(env, z.size, rs)
	s.sendReplies(env, rs)
	s.resetTx()
}

// deliver hands the message to Delivery.
func (s *session) deliver(env *envelope.Envelope, size int64) []*smtpreply.Reply {
	rs := s.srv.d.Deliver(s.srv.ctx, env, s.body.reader(), size)
	if len(rs) != len(env.Recipients) {
		r := s.localError("delivery returned a wrong number of replies", errReplyCount{len(rs), len(env.Recipients)})
		rs = fill(make([]*smtpreply.Reply, len(env.Recipients)), r)
	}
	return rs
}

type errReplyCount [2]int

func (e errReplyCount) Error() string {
	return "got " + strconv.Itoa(e[0]) + " replies for " + strconv.Itoa(e[1]) + " recipients"
}

func fill(rs []*smtpreply.Reply, r *smtpreply.Reply) []*smtpreply.Reply {
	for i := range rs {
		rs[i] = r
	}
	return rs
}

// sendReplies answers the end of data. In SMTP the delivery is all or
// nothing, so the replies agree; if they do not, the first failure wins.
func (s *session) sendReplies(env *envelope.Envelope, rs []*smtpreply.Reply) {
	if !s.cfg.LMTP {
		if r := firstFailure(rs); r != nil {
			s.reply(r)
		} else {
			s.reply(smtpreply.Queued(env.ID))
		}
		return
	}
	for i, r := range rs {
		if r == nil {
			r = smtpreply.Delivered(env.Recipients[i].Addr.String(), env.ID)
		}
		s.reply(r)
	}
}

func firstFailure(rs []*smtpreply.Reply) *smtpreply.Reply {
	for _, r := range rs {
		if r != nil {
			return r
		}
	}
	return nil
}

// outcome writes the one log line of a message and counts it. The body
// is never logged.
func (s *session) outcome(env *envelope.Envelope, size int64, rs []*smtpreply.Reply) {
	rcpts := make([]string, len(env.Recipients))
	for i, r := range env.Recipients {
		rcpts[i] = r.Addr.String()
	}
	failed := 0
	for _, r := range rs {
		if r != nil {
			failed++
		}
	}
	attrs := []any{"msg_id", env.ID, "from", env.From.String(), "rcpts", len(rcpts), "rcpt_list", rcpts, "size", size}
	switch fail := firstFailure(rs); {
	case fail == nil:
		s.srv.m.accepted.WithLabelValues(s.cfg.Name).Inc()
		s.log.Info("message accepted", append(attrs, "outcome", "accepted")...)
	case failed < len(rs):
		s.srv.m.accepted.WithLabelValues(s.cfg.Name).Inc()
		s.log.Info("message accepted", append(attrs, "outcome", "partial",
			"failed", failed, "code", fail.Code, "reason", reasonOf(fail), "text", fail.Text)...)
	default:
		s.log.Info("message rejected", append(attrs, "outcome", "rejected",
			"code", fail.Code, "reason", reasonOf(fail), "text", fail.Text)...)
	}
}
