package obs

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserveCommit(t *testing.T) {
	m := NewMetrics()
	m.ObserveCommit(64, 3*time.Millisecond)
	m.ObserveCommit(2, time.Millisecond)
	if got := testutil.ToFloat64(m.StoreCommits); got != 2 {
		t.Fatalf("commits = %v, want 2", got)
	}
	if n := testutil.CollectAndCount(m.StoreCommitBatch); n != 1 {
		t.Fatalf("batch histogram series = %d", n)
	}
}
