package tlsrpt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Mail is one report message for a Sender.
type Mail struct {
	// From is the envelope and header sender (Config.From).
	From string
	// To are the rua's mailto: addresses.
	To []string
	// Data is the message, CRLF line ends, not signed yet. It carries
	// "TLS-Required: No": RFC 8460 §5.3 wants reports delivered despite
	// TLS failures, so the queue must not hold it to MTA-STS or DANE.
	Data []byte
	// PolicyDomain is the domain the report is about (for the logs).
	PolicyDomain string
}

// Sender sends a report message. The lead wires it to the outbound queue,
// which signs what it queues with DKIM (RFC 8460 §5.3 asks for a
// signature) and keeps the TLS-Required field's demand.
type Sender interface {
	SendReport(ctx context.Context, m Mail) error
}

// Config configures a Reporter.
type Config struct {
	// Hostname is ours: the submitter (RFC 8460 §4.4, §5.3).
	Hostname string
	// Node names this node in the key/value entries; nodes sharing a
	// store must have different names.
	Node string
	// Organization is the report's organization-name (default
	// Hostname); Contact its contact-info (default From).
	Organization, Contact string
	// From is the sender of the reports (default
	// tlsrpt-noreply@Hostname).
	From string
	// FlushInterval is how often the counts go to the store (default 5
	// minutes); SendAfter how long after the end of a UTC day its reports
	// go out (default 1 hour: every node has flushed by then).
	FlushInterval, SendAfter time.Duration
}

func (c Config) withDefaults() Config {
	if c.Organization == "" {
		c.Organization = c.Hostname
	}
	if c.From == "" {
		c.From = "tlsrpt-noreply@" + c.Hostname
	}
	if c.Contact == "" {
		c.Contact = c.From
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Minute
	}
	if c.SendAfter <= 0 {
		c.SendAfter = time.Hour
	}
	return c
}

// Deps are the services a Reporter uses.
type Deps struct {
	KV     store.KV
	Locks  store.Locks
	DNS    TXTResolver
	Sender Sender
	// IsNotFound tells a name that does not exist from a failed lookup
	// (dnsr.IsNotFound); nil: every error is a failure.
	IsNotFound func(error) bool
	Now        func() time.Time
	Log        *slog.Logger
}

// Reporter records outcomes and sends the daily reports.
type Reporter struct {
	cfg Config
	d   Deps

	mu      sync.Mutex
	pending map[dayDomain]*dayData // counted since the last flush
}

// dayDomain names one day's counts for one policy domain.
type dayDomain struct {
	day    string // "2006-01-02", UTC
	domain string
}

// Key prefixes in the store (doc.go).
const (
	dayPrefix  = "tlsrpt/day/"
	sentPrefix = "tlsrpt/sent/"
	leaseName  = "tlsrpt-send"
	leaseTTL   = 2 * time.Minute
	// keepSent is how long the marks of sent reports are kept; entries
	// for a day older than that are dropped unsent.
	keepSent = 7 * 24 * time.Hour
)

// New returns a Reporter.
func New(cfg Config, d Deps) *Reporter {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Reporter{cfg: cfg.withDefaults(), d: d, pending: map[dayDomain]*dayData{}}
}

// Record counts one session outcome, on the current UTC day. An outcome
// without a valid policy domain or type is dropped.
func (r *Reporter) Record(o Outcome) {
	domain := strings.ToLower(strings.TrimSuffix(o.PolicyDomain, "."))
	if !validDomain(domain) || !validPolicyType(o.PolicyType) {
		return
	}
	k := dayDomain{day: r.d.Now().UTC().Format(time.DateOnly), domain: domain}
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.pending[k]
	if d == nil {
		if len(r.pending) >= maxDomains {
			return
		}
		d = &dayData{}
		r.pending[k] = d
	}
	d.add(o)
}

func validPolicyType(t string) bool { return t == "sts" || t == "tlsa" || t == "no-policy-found" }

// validDomain accepts an ASCII domain name of letters, digits, "-" and
// ".", which is safe in a key, a Subject and a file name.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func (r *Reporter) entryKey(k dayDomain) string {
	return dayPrefix + k.day + "/" + k.domain + "/" + r.cfg.Node
}

func sentKey(k dayDomain) string { return sentPrefix + k.day + "/" + k.domain }

// Flush adds the counts recorded since the last flush to this node's
// entries in the store. Counts that could not be written are kept for the
// next flush; counts for a report already sent are dropped.
func (r *Reporter) Flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.pending
	r.pending = map[dayDomain]*dayData{}
	r.mu.Unlock()
	var errs []error
	for k, d := range pending {
		if err := r.flushOne(ctx, k, *d); err != nil {
			errs = append(errs, err)
			r.mu.Lock()
			if cur := r.pending[k]; cur != nil {
				d.merge(*cur)
			}
			r.pending[k] = d
			r.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

func (r *Reporter) flushOne(ctx context.Context, k dayDomain, d dayData) error {
	if sent, err := r.d.KV.KVExists(ctx, sentKey(k)); err != nil || sent {
		return err // a straggler for a report gone out is dropped
	}
	key := r.entryKey(k)
	stored, err := r.load(ctx, key)
	if err != nil {
		return err
	}
	stored.merge(d)
	js, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	return r.d.KV.KVStore(ctx, key, js)
}

// load reads one entry; a missing one is empty.
func (r *Reporter) load(ctx context.Context, key string) (dayData, error) {
	var d dayData
	js, err := r.d.KV.KVLoad(ctx, key)
	if store.IsKind(err, store.KindNotFound) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(js, &d); err != nil {
		return d, fmt.Errorf("tlsrpt entry %s: %w", key, err)
	}
	return d, nil
}

// Run flushes every Config.FlushInterval and sends the reports that are
// due, until ctx ends; then it flushes once more.
func (r *Reporter) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := r.Flush(fctx); err != nil {
				r.d.Log.Warn("tlsrpt: flushing TLS report counts", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
		if err := r.Flush(ctx); err != nil {
			r.d.Log.Warn("tlsrpt: flushing TLS report counts", "err", err)
		}
		if err := r.SendDue(ctx); err != nil {
			r.d.Log.Warn("tlsrpt: sending TLS reports", "err", err)
		}
	}
}
