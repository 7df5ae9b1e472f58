package imapd

import (
	"strings"
	"time"
)

// cmdIdle runs IDLE (RFC 2177, RFC 9051 §6.3.13): changes of the selected
// mailbox are sent as they happen (the change feed wakes the session)
// until the client sends DONE.
func (s *session) cmdIdle(_ *command) status {
	s.w.raw("+ idling\r\n")
	if s.w.flush() != nil {
		s.state = stateLogout
		return status{}
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	done := make(chan error, 1)
	go func() { done <- s.r.readLine() }()
	var feed <-chan struct{}
	if s.sub != nil {
		feed = s.sub.C()
	}
	for {
		select {
		case err := <-done:
			return s.idleDone(err)
		case <-feed:
			if s.state == stateSelected && s.v != nil {
				if !s.updates(true) {
					s.w.flush()
					<-s.stopReader(done)
					return status{}
				}
			} else {
				s.sub.Events() // nothing selected: drop them
			}
			if s.w.flush() != nil {
				<-s.stopReader(done)
				s.state = stateLogout
				return status{}
			}
		}
	}
}

// stopReader wakes the reading goroutine and returns its channel.
func (s *session) stopReader(done chan error) chan error {
	s.conn.SetReadDeadline(time.Now())
	return done
}

func (s *session) idleDone(err error) status {
	if err != nil {
		switch {
		case s.stopping.Load():
			s.bye("Server shutting down")
		case isTimeout(err):
			s.bye("Autologout; idle for too long")
		}
		s.state = stateLogout
		return status{}
	}
	if !strings.EqualFold(strings.TrimSpace(string(s.r.line)), "DONE") {
		return respBAD("Expected DONE")
	}
	return respOK("IDLE terminated")
}
