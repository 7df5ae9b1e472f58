package queue

import (
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/obs"
)

// Config configures a Service.
type Config struct {
	// Hostname is the Reporting-MTA of bounces.
	Hostname string
	// Retry is the delay before each retry; the last one repeats until
	// MaxQueueTime (RFC 5321 §4.5.4.1).
	Retry        []time.Duration
	MaxQueueTime time.Duration
	// DelayWarning is the age after which a "delayed" DSN is sent once,
	// when NOTIFY allows it (0 = never).
	DelayWarning time.Duration
	// AttemptTimeout bounds one attempt at a domain (Sender.Send), all
	// its hosts together (0 = DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// MaxActive bounds deliveries in flight in total, MaxPerDomain per
	// destination domain.
	MaxActive    int
	MaxPerDomain int
	// Poll is how often the runner looks for due mail (retries asked for
	// by `petrel queue retry` from another process are seen then).
	Poll time.Duration
	// Owner names this runner in its claims on queued messages
	// (store.Queue.ClaimQueued); it must differ between the processes
	// sharing a store. Default: host name, process ID and a random part.
	Owner string
	// Lease is how long a claim holds a message without a renewal; the
	// runner renews its claims every Lease/4 and stops sending a message
	// Lease/4 before the last lease it renewed runs out; the messages of a
	// process that died are tried again once their leases run out.
	Lease time.Duration
}

// Defaults of the limits not in the configuration file.
const (
	DefaultMaxActive    = 100
	DefaultMaxPerDomain = 10
	DefaultPoll         = 3 * time.Second
	DefaultLease        = 2 * time.Minute
	// DefaultAttemptTimeout is delivery.attempt_timeout's default.
	DefaultAttemptTimeout = time.Hour
)

// ConfigFrom takes the queue settings from the server configuration.
func ConfigFrom(c *config.Config) Config {
	cfg := Config{Hostname: c.Hostname, MaxQueueTime: c.Delivery.MaxQueueTime.D(),
		DelayWarning: c.Delivery.DelayWarning.D(), Lease: c.Delivery.ClaimLease.D(),
		AttemptTimeout: c.Delivery.AttemptTimeout.D()}
	for _, d := range c.Delivery.Retry {
		cfg.Retry = append(cfg.Retry, d.D())
	}
	return cfg.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.MaxActive <= 0 {
		c.MaxActive = DefaultMaxActive
	}
	if c.MaxPerDomain <= 0 {
		c.MaxPerDomain = DefaultMaxPerDomain
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if len(c.Retry) == 0 {
		c.Retry = []time.Duration{5 * time.Minute}
	}
	if c.MaxQueueTime <= 0 {
		c.MaxQueueTime = 120 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.Owner == "" {
		c.Owner = obs.ProcessName()
	}
	return c
}
