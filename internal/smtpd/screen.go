package smtpd

import (
	"errors"
	"os"
	"time"

	"github.com/petrelmail/petrel/internal/screen"
)

// Connection screening on the MX (Config.Screen, package screen; README
// "Spam and abuse"): the connection rate and the pregreet test before
// the greeting, early talk behind HELO/EHLO, the message rate at MAIL,
// the DNS lists and the recipient rate at RCPT.

// screenGreeting runs the checks due before the greeting and reports
// whether the session goes on; a refused client gets its reply and the
// connection is closed.
func (s *session) screenGreeting() bool {
	if s.screen == nil {
		return true
	}
	if rf := s.screen.Admit(); rf != nil {
		return s.screenRefused(rf)
	}
	wait := s.screen.PregreetWait()
	if wait <= 0 {
		return true
	}
	// RFC 5321 §3.1: the client waits for the greeting; a client that
	// sends first is not an SMTP client worth talking to (postscreen's
	// pregreet test).
	s.conn.SetReadDeadline(time.Now().Add(wait))
	_, err := s.br.Peek(1)
	switch {
	case err == nil:
		return s.screenRefused(s.screen.Pregreet(true))
	case !errors.Is(err, os.ErrDeadlineExceeded):
		return false // gone, or Shutdown closed it
	}
	s.screen.Pregreet(false)
	return true
}

// screenPipelined refuses a client that sent more behind HELO or EHLO
// before their reply (RFC 2920 §3.1: they end a group of commands; HELO
// allows no pipelining at all). It reports whether it did.
func (s *session) screenPipelined() bool {
	if s.screen == nil || !s.screen.EarlyTalkTest() || s.br.Buffered() == 0 {
		return false
	}
	s.screenRefused(s.screen.EarlyTalker("commands pipelined behind HELO or EHLO"))
	return true
}

// screenMail applies the message rate; it reports whether MAIL was
// refused (and answered).
func (s *session) screenMail() bool {
	if s.screen == nil {
		return false
	}
	rf := s.screen.Mail()
	if rf != nil {
		s.replyReason(rf.Reply, rf.Reason)
	}
	return rf != nil
}

// screenRcpt applies the DNS lists and the recipient rate to a RCPT and
// puts the lists' verdict on the envelope; it reports whether the RCPT
// was refused (and answered). These refusals are not address harvesting:
// they do not count towards the refused-recipient limits.
func (s *session) screenRcpt(rcpt string) bool {
	if s.screen == nil {
		return false
	}
	env := s.tx.env
	rf := s.screen.Rcpt()
	env.Screening = s.screen.Screening()
	if rf == nil {
		return false
	}
	s.rcpt.refused++
	if s.rcpt.refused <= rcptLogLines {
		s.log.Info("recipient rejected", "msg_id", env.ID, "from", env.From.String(),
			"rcpt", rcpt, "code", rf.Reply.Code, "reason", rf.Reason, "text", rf.Reply.Text)
	}
	s.replyReason(rf.Reply, rf.Reason)
	return true
}

// screenRefused answers a refusal that ends the session; it returns
// false, for screenGreeting.
func (s *session) screenRefused(rf *screen.Refusal) bool {
	s.replyReason(rf.Reply, rf.Reason)
	s.quit = true
	return false
}
