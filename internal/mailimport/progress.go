package mailimport

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress shows how an import goes: messages/s and the time left, on
// a terminal as one line rewritten in place, else as a log line now and
// then. A nil Progress shows nothing.
type Progress struct {
	W        io.Writer
	Terminal bool
	// Every is how often a line is written (default 1 s on a terminal,
	// 10 s otherwise).
	Every time.Duration

	mu          sync.Mutex
	start, last time.Time
	total, done int64
	msgs        int64
}

// Start begins counting toward total units.
func (p *Progress) Start(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start, p.last, p.total = time.Now(), time.Now(), total
	if p.Every <= 0 {
		p.Every = 10 * time.Second
		if p.Terminal {
			p.Every = time.Second
		}
	}
}

// Add counts one message worth units.
func (p *Progress) Add(units int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += units
	p.msgs++
	if now := time.Now(); now.Sub(p.last) >= p.Every {
		p.last = now
		p.show(now, false)
	}
}

// Done writes the last line.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(time.Now(), true)
}

func (p *Progress) show(now time.Time, final bool) {
	el := now.Sub(p.start)
	rate := float64(p.msgs) / max(el.Seconds(), 1e-3)
	pct, eta := 100.0, time.Duration(0)
	if p.total > 0 && p.done < p.total {
		pct = 100 * float64(p.done) / float64(p.total)
		if p.done > 0 {
			eta = time.Duration(float64(el) * float64(p.total-p.done) / float64(p.done))
		}
	}
	line := fmt.Sprintf("import: %d messages, %.0f/s, %.1f%%, %s left", p.msgs, rate, pct, eta.Round(time.Second))
	if p.total == 0 { // the size is not known (an IMAP source)
		line = fmt.Sprintf("import: %d messages, %.0f/s", p.msgs, rate)
	}
	switch {
	case p.Terminal && final:
		fmt.Fprintf(p.W, "\r%s\033[K\n", line)
	case p.Terminal:
		fmt.Fprintf(p.W, "\r%s\033[K", line)
	default:
		fmt.Fprintln(p.W, line)
	}
}
