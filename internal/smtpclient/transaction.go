package smtpclient

import (
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// transaction sends MAIL, every RCPT and DATA (RFC 5321 §3.3): with
// PIPELINING (RFC 2920 §3.1) MAIL and the RCPTs go in one batch, DATA
// waits for their replies. Recipients refused at RCPT keep that reply;
// the others get the reply to DATA or to the end of data.
func (s *session) transaction() outcome {
	mail, rcpts, out, ok := s.envelope()
	if !ok {
		return out
	}
	if !mail.Positive() {
		if mail.Temporary() {
			return retry(mail, nil) // 4xx to MAIL: another host may take it
		}
		return decided(len(s.m.Rcpts), mail)
	}
	accepted := 0
	for _, r := range rcpts {
		if r.Positive() {
			accepted++
		}
	}
	if accepted == 0 {
		return outcome{reply: rcpts[len(rcpts)-1], per: rcpts}
	}
	final, out, ok := s.data()
	if !ok {
		return out
	}
	for i, r := range rcpts {
		if r.Positive() {
			rcpts[i] = final
		}
	}
	return outcome{reply: final, per: rcpts}
}

// envelope sends MAIL and the RCPTs and reads their replies.
func (s *session) envelope() (mail *smtpreply.Reply, rcpts []*smtpreply.Reply, out outcome, ok bool) {
	cmds := []string{mailCommand(s.m, s.ext)}
	for _, r := range s.m.Rcpts {
		cmds = append(cmds, rcptCommand(r, s.ext))
	}
	replies, err := s.batch(cmds, s.ext.has("PIPELINING"))
	if err != nil {
		return nil, nil, retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending the envelope"), err), false
	}
	return replies[0], replies[1:], outcome{}, true
}

// batch sends cmds and returns their replies: all written at once when
// pipelining, else one at a time.
func (s *session) batch(cmds []string, pipelining bool) ([]*smtpreply.Reply, error) {
	to := s.c.cfg.CommandTimeout
	replies := make([]*smtpreply.Reply, 0, len(cmds))
	if !pipelining {
		for _, c := range cmds {
			r, err := s.conn.cmd(c, to)
			if err != nil {
				return nil, err
			}
			replies = append(replies, r)
		}
		return replies, nil
	}
	for _, c := range cmds {
		if err := s.conn.queue(c); err != nil {
			return nil, err
		}
	}
	if err := s.conn.flush(to); err != nil {
		return nil, err
	}
	for range cmds {
		r, err := s.conn.reply(to)
		if err != nil {
			return nil, err
		}
		replies = append(replies, r)
	}
	return replies, nil
}
