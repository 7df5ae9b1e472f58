package sendlimit

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// Limits are the four bounds; 0 is no limit.
type Limits struct {
	MessagesPerHour   int `json:"messages_per_hour"`
	MessagesPerDay    int `json:"messages_per_day"`
	RecipientsPerHour int `json:"recipients_per_hour"`
	RecipientsPerDay  int `json:"recipients_per_day"`
}

// Override is an account's own limits: a nil field is the configured
// one.
type Override struct {
	MessagesPerHour   *int `json:"messages_per_hour,omitempty"`
	MessagesPerDay    *int `json:"messages_per_day,omitempty"`
	RecipientsPerHour *int `json:"recipients_per_hour,omitempty"`
	RecipientsPerDay  *int `json:"recipients_per_day,omitempty"`
}

// apply returns l with o's fields over it.
func (o Override) apply(l Limits) Limits {
	for _, f := range []struct {
		v   *int
		dst *int
	}{{o.MessagesPerHour, &l.MessagesPerHour}, {o.MessagesPerDay, &l.MessagesPerDay},
		{o.RecipientsPerHour, &l.RecipientsPerHour}, {o.RecipientsPerDay, &l.RecipientsPerDay}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	return l
}

// Counts are what an account sent in the last hour and day.
type Counts struct {
	HourMessages, HourRecipients int
	DayMessages, DayRecipients   int
}

// step is the width of a bucket; the day window holds 144 of them.
const step = 10 * time.Minute

// bucket counts one 10-minute step: its start (Unix seconds), messages
// and recipients.
type bucket [3]int64

// KV keys: counts and overrides, per account (lower case).
const (
	countPrefix    = "sendlimit/count/"
	overridePrefix = "sendlimit/override/"
)

// Limiter checks and records what accounts send.
type Limiter struct {
	cfg  Limits
	kv   store.KV
	now  func() time.Time
	log  *slog.Logger
	refd *prometheus.CounterVec // may be nil
	mu   sync.Mutex             // serialises this process's read-change-write of counts
}

// New returns a Limiter with the configured limits on kv. now is the
// clock (nil: time.Now); reg may be nil (no metric).
func New(cfg Limits, kv store.KV, now func() time.Time, log *slog.Logger, reg prometheus.Registerer) *Limiter {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Limiter{cfg: cfg, kv: kv, now: now, log: log}
	if reg != nil {
		l.refd = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: obs.Namespace, Subsystem: "submission", Name: "send_limit_refusals_total",
			Help: "Submitted messages and recipients refused over an account's sending limit, by limit.",
		}, []string{"limit"})
		reg.MustRegister(l.refd)
	}
	return l
}

// Check decides whether account may have a transaction with rcpts
// recipients (0 at MAIL FROM: may it send one more message at all).
// nil means yes; a store failure lets the mail through (logged): the
// limits are a brake, and a broken store refuses the mail later anyway.
func (l *Limiter) Check(ctx context.Context, account string, rcpts int) *smtpreply.Reply {
	lim, err := l.Limits(ctx, account)
	if err != nil {
		l.log.Warn("send limits: reading the account's limits", "account", account, "err", err)
		return nil
	}
	if lim == (Limits{}) {
		return nil
	}
	c, err := l.Counts(ctx, account)
	if err != nil {
		l.log.Warn("send limits: reading the account's counts", "account", account, "err", err)
		return nil
	}
	for _, t := range []struct {
		name       string
		count, max int
		next       int // what the transaction adds
	}{
		{"messages_per_hour", c.HourMessages, lim.MessagesPerHour, 1},
		{"messages_per_day", c.DayMessages, lim.MessagesPerDay, 1},
		{"recipients_per_hour", c.HourRecipients, lim.RecipientsPerHour, max(rcpts, 1)},
		{"recipients_per_day", c.DayRecipients, lim.RecipientsPerDay, max(rcpts, 1)},
	} {
		if t.max > 0 && t.count+t.next > t.max {
			l.log.Warn("sending limit reached", "account", account, "limit", t.name, "sent", t.count, "max", t.max)
			if l.refd != nil {
				l.refd.WithLabelValues(t.name).Inc()
			}
			window := "per hour"
			if strings.HasSuffix(t.name, "day") {
				window = "per day"
			}
			return smtpreply.SendLimitExceeded(strings.SplitN(t.name, "_", 2)[0] + " " + window)
		}
	}
	return nil
}

// Record counts one message sent by account to rcpts recipients.
func (l *Limiter) Record(ctx context.Context, account string, rcpts int) {
	if lim, err := l.Limits(ctx, account); err == nil && lim == (Limits{}) {
		return // nothing to count against
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	bs, err := l.load(ctx, account)
	if err != nil {
		l.log.Warn("send limits: reading the account's counts", "account", account, "err", err)
		return
	}
	start := now.Truncate(step).Unix()
	if n := len(bs); n > 0 && bs[n-1][0] == start {
		bs[n-1][1]++
		bs[n-1][2] += int64(rcpts)
	} else {
		bs = append(bs, bucket{start, 1, int64(rcpts)})
	}
	bs = prune(bs, now)
	b, _ := json.Marshal(bs)
	if err := l.kv.KVStore(ctx, countPrefix+key(account), b); err != nil {
		l.log.Warn("send limits: storing the account's counts", "account", account, "err", err)
	}
}

// Counts returns what account sent in the last hour and day.
func (l *Limiter) Counts(ctx context.Context, account string) (Counts, error) {
	bs, err := l.load(ctx, account)
	if err != nil {
		return Counts{}, err
	}
	now := l.now()
	hour := now.Add(-time.Hour).Unix()
	var c Counts
	for _, b := range prune(bs, now) {
		c.DayMessages += int(b[1])
		c.DayRecipients += int(b[2])
		if b[0]+int64(step/time.Second) > hour {
			c.HourMessages += int(b[1])
			c.HourRecipients += int(b[2])
		}
	}
	return c, nil
}

// Limits are account's limits: the configured ones with its override.
func (l *Limiter) Limits(ctx context.Context, account string) (Limits, error) {
	o, err := l.Override(ctx, account)
	return o.apply(l.cfg), err
}

// Override returns account's override (the zero Override when none).
func (l *Limiter) Override(ctx context.Context, account string) (Override, error) {
	var o Override
	b, err := l.kv.KVLoad(ctx, overridePrefix+key(account))
	switch {
	case store.IsKind(err, store.KindNotFound):
		return o, nil
	case err != nil:
		return o, err
	}
	return o, json.Unmarshal(b, &o)
}

// SetOverride stores account's override; the zero Override removes it.
func (l *Limiter) SetOverride(ctx context.Context, account string, o Override) error {
	k := overridePrefix + key(account)
	if o == (Override{}) {
		if err := l.kv.KVDelete(ctx, k); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
		return nil
	}
	b, _ := json.Marshal(o)
	return l.kv.KVStore(ctx, k, b)
}

// load reads account's buckets (none when it has none).
func (l *Limiter) load(ctx context.Context, account string) ([]bucket, error) {
	b, err := l.kv.KVLoad(ctx, countPrefix+key(account))
	switch {
	case store.IsKind(err, store.KindNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var bs []bucket
	if err := json.Unmarshal(b, &bs); err != nil {
		return nil, nil // a damaged value counts as nothing, and is replaced at the next Record
	}
	return bs, nil
}

// prune drops the buckets that ended more than a day before now.
func prune(bs []bucket, now time.Time) []bucket {
	day := now.Add(-24 * time.Hour).Unix()
	i := 0
	for i < len(bs) && bs[i][0]+int64(step/time.Second) <= day {
		i++
	}
	return bs[i:]
}

// key is the KV segment of an account: its address in lower case.
func key(account string) string { return strings.ToLower(account) }
