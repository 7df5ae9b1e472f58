package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/imapd"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/sendlimit"
	"github.com/petrelmail/petrel/internal/store"
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

// sendLimits are [send_limits] in the form of package sendlimit.
func sendLimits(cfg *config.Config) sendlimit.Limits {
	l := cfg.SendLimits
	return sendlimit.Limits{MessagesPerHour: l.MessagesPerHour, MessagesPerDay: l.MessagesPerDay,
		RecipientsPerHour: l.RecipientsPerHour, RecipientsPerDay: l.RecipientsPerDay}
}

// newSendLimiter is the submission's sending limits on the store's KV,
// with the refusals counted on m (nil: not counted, for the CLI).
func newSendLimiter(cfg *config.Config, kv store.KV, m *obs.Metrics, log *slog.Logger) *sendlimit.Limiter {
	if m == nil {
		return sendlimit.New(sendLimits(cfg), kv, nil, log, nil)
	}
	return sendlimit.New(sendLimits(cfg), kv, nil, log, m.Registry)
}

// userSendLimit runs "petrel user send-limit" (README "Spam and abuse"):
//
//	petrel user send-limit ADDRESS           what it sent in the last hour and day, and its limits
//	petrel user send-limit ADDRESS 50 200 100 500   its own limits ("-": the configured one; 0: none)
//	petrel user send-limit ADDRESS default   back to [send_limits]
func userSendLimit(ctx context.Context, c *call) error {
	const usage = "usage: petrel user send-limit ADDRESS [MSGS_HOUR MSGS_DAY RCPTS_HOUR RCPTS_DAY | default]"
	acct, err := c.st.LookupAddress(ctx, c.args[0])
	if err != nil {
		return err
	}
	a, err := c.st.Account(ctx, acct)
	if err != nil {
		return err
	}
	l := newSendLimiter(c.cfg, c.st, nil, slog.New(slog.DiscardHandler))
	switch len(c.args) {
	case 1:
	case 2:
		if c.args[1] != "default" {
			return usageErrorf(usage)
		}
		if err := l.SetOverride(ctx, a.Address, sendlimit.Override{}); err != nil {
			return err
		}
	case 5:
		o, err := parseOverride(c.args[1:])
		if err != nil {
			return usageErrorf("%s (%v)", usage, err)
		}
		if err := l.SetOverride(ctx, a.Address, o); err != nil {
			return err
		}
	default:
		return usageErrorf(usage)
	}
	lim, err := l.Limits(ctx, a.Address)
	if err != nil {
		return err
	}
	n, err := l.Counts(ctx, a.Address)
	if err != nil {
		return err
	}
	limit := func(v int) string {
		if v == 0 {
			return "unlimited"
		}
		return strconv.Itoa(v)
	}
	fmt.Fprintf(c.app.stdout, "messages_per_hour\t%d\t%s\nmessages_per_day\t%d\t%s\n"+
		"recipients_per_hour\t%d\t%s\nrecipients_per_day\t%d\t%s\n",
		n.HourMessages, limit(lim.MessagesPerHour), n.DayMessages, limit(lim.MessagesPerDay),
		n.HourRecipients, limit(lim.RecipientsPerHour), n.DayRecipients, limit(lim.RecipientsPerDay))
	return nil
}

// parseOverride reads the four limits of user send-limit: a count of 0
// or more, or "-" for the configured one.
func parseOverride(args []string) (sendlimit.Override, error) {
	var o sendlimit.Override
	for i, dst := range []**int{&o.MessagesPerHour, &o.MessagesPerDay, &o.RecipientsPerHour, &o.RecipientsPerDay} {
		if args[i] == "-" {
			continue
		}
		v, err := strconv.Atoi(args[i])
		if err != nil || v < 0 {
			return o, fmt.Errorf("%q is not a count of 0 or more, or -", args[i])
		}
		*dst = &v
	}
	return o, nil
}
