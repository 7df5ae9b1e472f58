package queue

import (
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
)

// TestConfigFromLease: delivery.claim_lease is the lease of the claims,
// 2 minutes by default.
func TestConfigFromLease(t *testing.T) {
	c := config.Default()
	if got := ConfigFrom(c).Lease; got != DefaultLease || DefaultLease != 2*time.Minute {
		t.Errorf("default lease %v, want %v (2m)", got, DefaultLease)
	}
	c.Delivery.ClaimLease = config.Duration(5 * time.Second)
	if got := ConfigFrom(c).Lease; got != 5*time.Second {
		t.Errorf("lease %v with claim_lease = 5s", got)
	}
}
