package rspamd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Config configures a Filter and a Learner (config [rspamd], README "Spam
// and abuse").
type Config struct {
	// URL is rspamd's normal worker (http://127.0.0.1:11333).
	URL string
	// ControllerURL is rspamd's controller, which learns
	// (http://127.0.0.1:11334).
	ControllerURL string
	// Password is sent as the Password header (the controller's password).
	Password string
	// Timeout bounds one scan, the wait for a free slot included.
	// Default 10 s.
	Timeout time.Duration
	// MaxConcurrent bounds the scans in flight; more wait for a slot.
	// Default 32.
	MaxConcurrent int
	// TempFailOnError refuses a message that could not be scanned with
	// 451 4.3.0 instead of accepting it marked "Unscanned".
	TempFailOnError bool
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 32
	}
	c.URL = strings.TrimRight(c.URL, "/")
	c.ControllerURL = strings.TrimRight(c.ControllerURL, "/")
	return c
}

// Action is what Petrel does with a scanned message.
type Action int

const (
	Accept   Action = iota // deliver as it is
	Junk                   // deliver to Junk, marked $Junk
	TempFail               // refuse for now: Verdict.Reply (4xx)
	Reject                 // refuse: Verdict.Reply (5xx)
)

// Verdict is the outcome of a scan for delivery.
type Verdict struct {
	Action Action
	// Reply refuses the message (TempFail, Reject).
	Reply *smtpreply.Reply
	// Header is the X-Spam-Status field to add (CRLF-terminated), "" for
	// none.
	Header string
	// Result is rspamd's answer; Scanned is false when there was none.
	Result  Result
	Scanned bool
}

// Filter scans messages with rspamd and maps the answer to a Verdict.
type Filter struct {
	cfg     Config
	c       *client
	slots   chan struct{}
	log     *slog.Logger
	metrics *Metrics
}

// NewFilter returns a Filter; metrics may be nil.
func NewFilter(cfg Config, log *slog.Logger, m *Metrics) *Filter {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Filter{cfg: cfg, log: log, metrics: m, slots: make(chan struct{}, cfg.MaxConcurrent),
		c: &client{check: cfg.URL, controller: cfg.ControllerURL, password: cfg.Password,
			http: newHTTPClient(cfg.MaxConcurrent)}}
}

// Scan scans msg (size octets) and returns the verdict; it never fails:
// an error of rspamd's is the failure policy's verdict (Config
// TempFailOnError), logged.
func (f *Filter) Scan(ctx context.Context, in Input, msg io.Reader, size int64) Verdict {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	r, err := f.check(ctx, in, msg, size)
	elapsed := time.Since(start)
	if err != nil {
		v := f.unscanned()
		f.log.Warn("rspamd: message not scanned", "id", in.ID, "err", err, "tempfail", v.Action == TempFail,
			"ms", elapsed.Milliseconds())
		f.metrics.observe("error", elapsed)
		return v
	}
	v := verdictOf(r)
	f.metrics.observe(actionLabel(r.Action), elapsed)
	f.log.Info("rspamd: scanned", "id", in.ID, "action", r.Action, "score", r.Score, "ms", elapsed.Milliseconds())
	return v
}

// check waits for a slot and asks rspamd.
func (f *Filter) check(ctx context.Context, in Input, msg io.Reader, size int64) (Result, error) {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("rspamd: waiting for a free slot: %w", ctx.Err())
	}
	defer func() { <-f.slots }()
	return f.c.Check(ctx, in, msg, size)
}

// unscanned is the failure policy's verdict.
func (f *Filter) unscanned() Verdict {
	if f.cfg.TempFailOnError {
		return Verdict{Action: TempFail, Reply: smtpreply.FilterUnavailable()}
	}
	return Verdict{Action: Accept, Header: "X-Spam-Status: Unscanned\r\n"}
}

// verdictOf maps rspamd's action (README "Spam and abuse").
func verdictOf(r Result) Verdict {
	v := Verdict{Result: r, Scanned: true}
	switch r.Action {
	case "reject":
		v.Action, v.Reply = Reject, smtpreply.SpamRejected()
	case "soft reject", "greylist":
		v.Action, v.Reply = TempFail, smtpreply.SpamTempFail()
	case "add header", "rewrite subject":
		v.Action = Junk
	}
	v.Header = statusField(r, v.Action == Junk || v.Action == Reject)
	return v
}

// actionLabel is the metrics label of rspamd's action.
func actionLabel(a string) string {
	switch a {
	case "reject", "soft reject", "greylist", "add header", "rewrite subject", "no action":
		return strings.ReplaceAll(a, " ", "_")
	}
	return "other"
}

// statusField is the X-Spam-Status field: verdict, score, threshold,
// rspamd's action, and the symbols with their scores, highest first,
// folded (RFC 5322 §2.2.3) to lines under 78 characters.
//
//	X-Spam-Status: Yes, score=7.90 required=15.00 action="add header"
//		tests=[PETREL_TEST_JUNK=8.00, MIME_GOOD=-0.10, ARC_NA=0.00]
func statusField(r Result, spam bool) string {
	yes := "No"
	if spam {
		yes = "Yes"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "X-Spam-Status: %s, score=%.2f required=%.2f action=%q\r\n\ttests=[", yes, r.Score, r.Required,
		strings.Map(headerSafe, r.Action))
	syms := make([]Symbol, 0, len(r.Symbols))
	for name, s := range r.Symbols {
		s.Name = name
		syms = append(syms, s)
	}
	sort.Slice(syms, func(i, j int) bool {
		if syms[i].Score != syms[j].Score {
			return syms[i].Score > syms[j].Score
		}
		return syms[i].Name < syms[j].Name
	})
	line := len("\ttests=[")
	for i, s := range syms {
		item := fmt.Sprintf("%s=%.2f", strings.Map(symbolSafe, s.Name), s.Score)
		if i > 0 {
			b.WriteString(",")
			if line+len(item)+2 > 76 {
				b.WriteString("\r\n\t")
				line = 1
			} else {
				b.WriteString(" ")
				line += 2
			}
		}
		b.WriteString(item)
		line += len(item)
	}
	b.WriteString("]\r\n")
	return b.String()
}

// symbolSafe keeps the characters of rspamd's symbol names.
func symbolSafe(r rune) rune {
	if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
		return r
	}
	return -1
}
