package smtpd

import (
	"path/filepath"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/spool"
)

// SpoolSubdir is the directory under data_dir where FromConfig puts
// message bodies over 128 KiB while they are received.
const SpoolSubdir = "spool"

// FromConfig fills a Config from Petrel's configuration: the host name,
// the [smtp] limits, timeouts and refused-recipient limits, [delivery]
// max_message_size, the spool directory <data_dir>/spool, and the free
// space of data_dir against [storage] min_free_space. Name, LMTP, TLS,
// ImplicitTLS, Extensions and RcptErrors.Off are the caller's to set.
func FromConfig(c *config.Config) Config {
	return Config{
		Hostname:            c.Hostname,
		MaxMessageSize:      int64(c.Delivery.MaxMessageSize),
		MaxRecipients:       c.SMTP.MaxRecipients,
		MaxConnectionsPerIP: c.SMTP.MaxConnectionsPerIP,
		MaxConnections:      c.SMTP.MaxConnections,
		MaxBadCommands:      c.SMTP.MaxBadCommands,
		CommandTimeout:      c.SMTP.CommandTimeout.D(),
		DataTimeout:         c.SMTP.DataTimeout.D(),
		MinDataRate:         int64(c.SMTP.MinDataRate),
		RcptErrors: RcptErrorLimits{Soft: c.SMTP.RcptSoftErrorLimit, Hard: c.SMTP.RcptHardErrorLimit,
			Sleep: c.SMTP.RcptErrorSleep.D(), Decay: c.SMTP.RcptErrorDecay.D()},
		SpoolDir: filepath.Join(c.DataDir, SpoolSubdir),
		Space:    spool.NewSpace(c.DataDir, int64(c.Storage.MinFreeSpace)),
	}
}
