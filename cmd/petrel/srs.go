package main

import (
	"time"

	"github.com/petrelmail/petrel/internal/delivery"
	"github.com/petrelmail/petrel/internal/srs"
)

// newSRS is the Sender Rewriting Scheme of forwarded mail ([srs]; README
// "Forwarding and SRS"), its key in the store's KV so that every node
// shares it; nil when srs.enabled is false.
func newSRS(d deps) delivery.SRS {
	if !d.cfg.SRS.Enabled {
		return nil
	}
	return srs.New(srs.Config{MaxAge: time.Duration(d.cfg.SRS.MaxAgeDays) * 24 * time.Hour}, d.st)
}
