package pop3d

import (
	"context"
	"time"
)

// quit is QUIT (RFC 1939 §4 and §6). In AUTHORIZATION it just ends the
// session. In TRANSACTION it enters the UPDATE state: the \Seen flags of
// retrieved messages are stored, then the messages marked deleted are
// expunged in one store call, so IMAP sessions see EXPUNGE (or VANISHED)
// as for any expunge. The lock is released before the reply, so that a
// client may log in again as soon as it has it.
func (s *session) quit(args []string) Reply {
	if s.state == stateAuthorization {
		r := ok("%s POP3 server signing off", s.srv.cfg.Hostname)
		r.Close = true
		return r
	}
	s.seen.close()
	uids := s.md.deletedUIDs()
	if len(uids) > 0 {
		// The client has asked for it: not cut short by a shutdown.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		gone, err := s.srv.st.Expunge(ctx, s.md.mailbox.ID, uids)
		cancel()
		if err != nil {
			s.release()
			r := s.storeFailure("expunge", err)
			r.Text = "Some deleted messages not removed: " + r.Text
			r.Close = true
			return r
		}
		s.md.markGone(gone)
		s.log.Info("deleted messages", "count", len(gone))
	}
	n, _ := s.md.live()
	s.release()
	r := ok("%s POP3 server signing off (%d messages left)", s.srv.cfg.Hostname, n)
	r.Close = true
	return r
}
