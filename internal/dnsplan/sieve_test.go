package dnsplan

import (
	"testing"

	"github.com/petrelmail/petrel/internal/config"
)

// TestSieveSRV: ManageSieve's SRV record (RFC 5804 §1.8) is planned only
// when listen.managesieve serves it, with the port it listens on.
func TestSieveSRV(t *testing.T) {
	find := func(l config.Listen) *Service {
		for _, s := range mailServices(l) {
			if s.Label == "_sieve._tcp" {
				return &s
			}
		}
		return nil
	}
	if s := find(config.Listen{}); s != nil {
		t.Fatalf("managesieve off: planned %+v", *s)
	}
	s := find(config.Listen{ManageSieve: []string{"0.0.0.0:4190"}})
	if s == nil || !s.On() || !s.standard() || s.Key != "listen.managesieve" {
		t.Fatalf("managesieve on: %+v", s)
	}
}
