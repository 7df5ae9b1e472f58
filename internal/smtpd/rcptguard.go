package smtpd

import (
	"net/netip"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// RcptErrorLimits slow down and cut off a client whose recipients are
// refused, to make address harvesting (a dictionary of RCPTs, each
// answered 550 5.1.1 or 554 5.7.1) slow and bounded. They are Postfix's
// smtpd_soft_error_limit, smtpd_hard_error_limit and
// smtpd_error_sleep_time applied to permanent RCPT refusals, with a count
// per client that outlives its sessions, so that reconnecting starts
// nothing afresh (README "SMTP", Address harvesting).
//
// The count of a session is its 5xx RCPT refusals since it began or last
// had a message accepted; the count of a client (an IPv4 address or an
// IPv6 /64) is the same refusals over all its sessions, less one per
// Decay (a leaky bucket). What counts is the larger of the two.
type RcptErrorLimits struct {
	// Soft is how many refusals are answered at once; each one past it
	// waits Sleep first. Default 5.
	Soft int
	// Hard: at this count, the next RCPT gets 421 4.7.0 after Sleep
	// instead of its answer (so that a valid address is not told apart
	// from an invalid one) and the connection is closed. Default 20.
	Hard int
	// Sleep is the delay of the replies past Soft. Default 1 second.
	Sleep time.Duration
	// Decay is the time it takes a client's count to lose one. Default 1
	// minute: a client that stopped is let in again after (count - Hard
	// + 1) minutes.
	Decay time.Duration
	// Off turns the limits off (LMTP: every session comes from the MTA in
	// front, which answers its own clients). Logging stays bounded.
	Off bool
}

func (l RcptErrorLimits) withDefaults() RcptErrorLimits {
	if l.Soft <= 0 {
		l.Soft = 5
	}
	if l.Hard <= 0 {
		l.Hard = 20
	}
	l.Soft = min(l.Soft, l.Hard)
	if l.Sleep <= 0 {
		l.Sleep = time.Second
	}
	if l.Decay <= 0 {
		l.Decay = time.Minute
	}
	return l
}

// rcptLogLines is how many refused recipients of a session are logged
// one per line; the rest are counted in one line at the end of the
// session, so that a harvesting session writes a bounded log.
const rcptLogLines = 5

// rcptErrors is a session's side of the count.
type rcptErrors struct {
	client  netip.Prefix // the client's key; invalid for a unix socket
	errors  int          // 5xx refusals since the start or the last message accepted
	refused int          // every refusal of the session, for the log
}

// rcptCutOff answers a RCPT when the session or its client has reached
// the hard limit: 421 4.7.0 after the delay, and the session ends. It
// reports whether it did. The attempt counts for the client.
func (s *session) rcptCutOff() bool {
	lim := &s.cfg.RcptErrors
	now := time.Now()
	client := s.srv.rcptClients.level(s.rcpt.client, now)
	if lim.Off || max(float64(s.rcpt.errors), client) < float64(lim.Hard) {
		return false
	}
	s.srv.rcptClients.add(s.rcpt.client, now, 2*lim.Hard)
	s.rcptSleep()
	// Info for the first cut; a client that keeps coming back while cut
	// off gets debug lines, so reconnecting does not flood the log.
	logf := s.log.Info
	if s.rcpt.errors < lim.Hard && client > float64(lim.Hard) {
		logf = s.log.Debug
	}
	logf("too many rejected recipients", "session_errors", s.rcpt.errors, "client_errors", int(client), "rejected", s.rcpt.refused)
	s.replyReason(smtpreply.TooManyRejectedRecipients(s.cfg.Hostname), reasonTooManyErrors)
	s.quit = true
	return true
}

// rcptRejected logs and counts a refused recipient and returns r, after
// the delay once past the soft limit. Only permanent refusals count
// towards the limits: a 452 for too many recipients or a full mailbox is
// not harvesting.
func (s *session) rcptRejected(env *envelope.Envelope, addr mailaddr.Address, r *smtpreply.Reply) *smtpreply.Reply {
	s.rcpt.refused++
	if s.rcpt.refused <= rcptLogLines {
		s.log.Info("recipient rejected", "msg_id", env.ID, "from", env.From.String(),
			"rcpt", addr.String(), "code", r.Code, "reason", reasonOf(r), "text", r.Text)
	}
	lim := &s.cfg.RcptErrors
	if r.Code < 500 || lim.Off {
		return r
	}
	s.rcpt.errors++
	level := s.srv.rcptClients.add(s.rcpt.client, time.Now(), 2*lim.Hard)
	if max(float64(s.rcpt.errors), level) > float64(lim.Soft) {
		s.rcptSleep()
	}
	return r
}

// rcptSleep waits the delay of a reply past the soft limit, or until the
// server is gone.
func (s *session) rcptSleep() {
	t := time.NewTimer(s.cfg.RcptErrors.Sleep)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.srv.ctx.Done():
	}
}

// logRcptSummary writes the one line that counts the refused recipients
// not logged one by one.
func (s *session) logRcptSummary() {
	if s.rcpt.refused > rcptLogLines {
		s.log.Info("recipients rejected in the session", "rejected", s.rcpt.refused,
			"not_logged_one_by_one", s.rcpt.refused-rcptLogLines)
	}
}

// maxClients bounds the clients whose count is kept: two generations of
// at most maxClients/2 each (about 100 bytes an entry).
const maxClients = 1 << 16

// clientTable holds the count of refused recipients per client across
// sessions: a leaky bucket per client. When the current generation is
// full it becomes the old one and the old one is dropped, so the clients
// seen least recently are forgotten first and memory stays bounded.
type clientTable struct {
	mu       sync.Mutex
	decay    time.Duration
	cur, old map[netip.Prefix]bucket
}

type bucket struct {
	level float64
	at    time.Time
}

func newClientTable(decay time.Duration) *clientTable {
	return &clientTable{decay: decay, cur: map[netip.Prefix]bucket{}, old: map[netip.Prefix]bucket{}}
}

// level is the client's count now.
func (t *clientTable) level(k netip.Prefix, now time.Time) float64 {
	if !k.IsValid() {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.levelLocked(k, now)
}

func (t *clientTable) levelLocked(k netip.Prefix, now time.Time) float64 {
	b, ok := t.cur[k]
	if !ok {
		b = t.old[k]
	}
	return max(0, b.level-float64(now.Sub(b.at))/float64(t.decay))
}

// add counts one refusal of the client, up to limit, and returns its
// count.
func (t *clientTable) add(k netip.Prefix, now time.Time, limit int) float64 {
	if !k.IsValid() {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	level := min(t.levelLocked(k, now)+1, float64(limit))
	delete(t.old, k)
	if _, ok := t.cur[k]; !ok && len(t.cur) >= maxClients/2 {
		t.old, t.cur = t.cur, make(map[netip.Prefix]bucket)
	}
	t.cur[k] = bucket{level: level, at: now}
	return level
}

// len is the number of clients remembered.
func (t *clientTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cur) + len(t.old)
}
