package main

import (
	"log/slog"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/imapd"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/rspamd"
)

// contentFilter is rspamd beside Petrel ([rspamd], README "Spam and
// abuse"): the Filter of the delivery path and the Learner of IMAP moves
// into and out of Junk, each nil when its URL is not set.
type contentFilter struct {
	filter         *rspamd.Filter
	learner        *rspamd.Learner
	scanSubmission bool
}

// newContentFilter builds the content filter of cfg on the store st.
func newContentFilter(cfg *config.Config, st rspamd.MessageReader, m *obs.Metrics, log *slog.Logger) *contentFilter {
	r := cfg.Rspamd
	c := &contentFilter{scanSubmission: r.ScanSubmission}
	if r.URL == "" && r.ControllerURL == "" {
		return c
	}
	rc := rspamd.Config{URL: r.URL, ControllerURL: r.ControllerURL, Password: r.Password, Timeout: r.Timeout.D(),
		MaxConcurrent: r.MaxConcurrent, TempFailOnError: r.OnFailure == "tempfail"}
	metrics := rspamd.NewMetrics(m.Registry)
	log = log.With("component", "rspamd")
	if r.URL != "" {
		c.filter = rspamd.NewFilter(rc, log, metrics)
	}
	if r.ControllerURL != "" {
		c.learner = rspamd.NewLearner(rc, st, log, metrics)
	}
	return c
}

// deliveryFilter is the delivery path's Filter: nil (no call) when
// rspamd.url is not set.
func (c *contentFilter) deliveryFilter() delivery.Filter {
	if c == nil || c.filter == nil {
		return nil
	}
	return c.filter
}

// junkReporter is IMAP's JunkReporter: nil when rspamd.controller_url is
// not set.
func (c *contentFilter) junkReporter() imapd.JunkReporter {
	if c == nil || c.learner == nil {
		return nil
	}
	return c.learner
}

// close stops the Learner.
func (c *contentFilter) close() {
	if c != nil && c.learner != nil {
		c.learner.Close()
	}
}
