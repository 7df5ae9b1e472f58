package imapd

import (
	"strconv"
	"time"
)

// INPROGRESS (RFC 9585): a SEARCH or FETCH that runs for longer than
// Config.ProgressInterval tells the client it is still at work, at most
// once per interval, with an untagged OK [INPROGRESS ("tag" done total)]
// between the responses, flushed at once, so that a client waiting on a
// search over a large mailbox sees progress instead of a silent
// connection and keeps its timeout from firing (§1).

// progressStep is how many messages pass between two looks at the clock.
const progressStep = 64

// progress counts the messages a command has handled.
type progress struct {
	s           *session
	tag         string
	done, total int
	next        time.Time
}

// startProgress starts counting for command c over total messages; the
// returned function ends it.
func (s *session) startProgress(c *command, total int) func() {
	s.prog = &progress{s: s, tag: c.tag, total: total, next: time.Now().Add(s.srv.cfg.ProgressInterval)}
	return func() { s.prog = nil }
}

// step is called before each message, between responses (nil: no
// command counts): it sends the progress, the messages done before this
// one, when the interval has passed, and counts the message.
func (p *progress) step() {
	if p == nil {
		return
	}
	done := p.done
	p.done++
	if done == 0 || done%progressStep != 0 {
		return
	}
	now := time.Now()
	if now.Before(p.next) {
		return
	}
	p.next = now.Add(p.s.srv.cfg.ProgressInterval)
	// §3: progress-tag SP count SP total; the tag as a quoted string.
	p.s.w.status("*", respOKCode("INPROGRESS (\""+p.tag+"\" "+strconv.Itoa(done)+" "+strconv.Itoa(p.total)+")",
		"Still working"))
	p.s.w.flush()
}
