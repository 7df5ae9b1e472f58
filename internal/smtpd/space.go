package smtpd

import (
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/spool"
)

// Space tells how many octets may still be stored before the free space
// of the data directory falls below its floor (README "Storage":
// min_free_space); *spool.Space implements it, with statfs cached.
type Space interface {
	Room() int64
}

// spaceRefusal refuses a message of size octets (0 when the client did
// not declare one) with 452 4.3.1 when the disk has no room for it above
// the floor: at MAIL (RFC 1870 §6.1), and again before the data, as the
// space may have gone since. nil accepts.
func (s *session) spaceRefusal(size int64) *smtpreply.Reply {
	if s.cfg.Space == nil {
		return nil
	}
	room := s.cfg.Space.Room()
	if room >= max(size, 1) {
		return nil
	}
	s.log.Warn("message refused: not enough free disk space", "size", size, "room", room)
	return smtpreply.InsufficientStorage("")
}

// spoolError is the reply to a failure to keep the message being
// received: 452 4.3.1 when the spool's disk is full, else 451 4.3.0. The
// log line carries the error under the reference the reply gives.
func (s *session) spoolError(err error) *smtpreply.Reply {
	if spool.IsNoSpace(err) {
		ref := obs.NewID()
		s.log.Error("spooling the message failed: disk full", "ref", ref, "err", err)
		return smtpreply.InsufficientStorage(ref)
	}
	return s.localError("spooling the message failed", err)
}
