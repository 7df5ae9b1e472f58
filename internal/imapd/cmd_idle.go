package imapd

import (
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// cmdIdle runs IDLE (RFC 2177, RFC 9051 §6.3.13): changes of the selected
// mailbox are sent as they happen until the client sends DONE.
//
// The session waits on its own goroutine, reading the connection: a
// change in the account's feed wakes the read by moving its deadline to
// now (Subscription.Notify), the session sends the updates and reads on,
// keeping what it had of the DONE line. An idle session thus costs one
// goroutine and no buffers.
func (s *session) cmdIdle(_ *command) status {
	s.w.raw("+ idling\r\n")
	if s.w.flush() != nil {
		s.state = stateLogout
		return status{}
	}
	deadline := time.Now().Add(s.srv.cfg.IdleTimeout)
	var feed <-chan struct{}
	if s.sub != nil {
		feed = s.sub.C()
		w := &idleWaker{conn: s.conn, on: true}
		s.notifyFeeds(w.wake)
		s.notifyOwnersWake(w.wake) // NOTIFY's shared mailboxes (notify_shared.go)
		defer func() {
			s.notifyFeeds(nil)
			s.notifyOwnersWake(nil)
			w.stop()
		}()
	}
	s.r.line, s.r.pos = s.r.line[:0], 0
	for {
		// A change that comes after this check moves the deadline set
		// here to now, and the read below returns at once.
		s.conn.SetReadDeadline(deadline)
		woken := true
		select {
		case <-feed:
		case <-s.feedC(): // a shared mailbox's owner (acl.go)
		case <-s.notifyOwnersC():
		default:
			woken = false
		}
		if woken {
			if !s.idleUpdates() {
				return status{}
			}
			continue
		}
		err := s.awaitInput()
		if err == nil {
			err = s.r.readRest()
		}
		if err == nil {
			return s.idleDone()
		}
		if err == errLineTooLong {
			// IDLE ends with the refusal, and whatever the long line
			// announced is read and thrown away, never executed.
			if s.r.skipCommand() != nil {
				s.bye("Literal too big")
				s.state = stateLogout
				return status{}
			}
			return respBADCode("TOOBIG", "Expected DONE")
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && !s.stopping.Load() && time.Now().Before(deadline) {
			continue // woken by the feed
		}
		switch {
		case s.stopping.Load():
			s.bye("Server shutting down")
		case isTimeout(err):
			s.bye("Autologout; idle for too long")
		}
		s.state = stateLogout
		return status{}
	}
}

// idleWaker wakes an IDLE session's read. After stop, a wake that was
// already on its way does nothing: it must not cut the read of the next
// command short.
type idleWaker struct {
	mu   sync.Mutex
	conn net.Conn
	on   bool
}

func (w *idleWaker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		w.conn.SetReadDeadline(time.Now())
	}
}

func (w *idleWaker) stop() {
	w.mu.Lock()
	w.on = false
	w.mu.Unlock()
}

// idleUpdates sends what changed in the selected mailbox; false ends the
// session (the mailbox is gone, or the client).
func (s *session) idleUpdates() bool {
	if s.state != stateSelected || s.v == nil {
		s.drainFeed() // nothing selected: only NOTIFY's (RFC 5465)
	} else if !s.updates(true) {
		s.w.flush()
		return false
	}
	s.notifyUpdates()
	if s.w.flush() != nil {
		s.state = stateLogout
		return false
	}
	return true
}

func (s *session) idleDone() status {
	if !strings.EqualFold(strings.TrimSpace(string(s.r.line)), "DONE") {
		return respBAD("Expected DONE")
	}
	return respOK("IDLE terminated")
}
