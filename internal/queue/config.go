package queue

import (
	"time"

	"github.com/petrelmail/petrel/internal/config"
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
	// MaxActive bounds deliveries in flight in total, MaxPerDomain per
	// destination domain.
	MaxActive    int
	MaxPerDomain int
	// Poll is how often the runner looks for due mail (retries asked for
	// by `petrel queue retry` from another process are seen then).
	Poll time.Duration
}

// Defaults of the limits not in the configuration file.
const (
	DefaultMaxActive    = 100
	DefaultMaxPerDomain = 10
	DefaultPoll         = 3 * time.Second
)

// ConfigFrom takes the queue settings from the server configuration.
func ConfigFrom(c *config.Config) Config {
	cfg := Config{Hostname: c.Hostname, MaxQueueTime: c.Delivery.MaxQueueTime.D(),
		DelayWarning: c.Delivery.DelayWarning.D()}
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
	return c
}
