package obs

import (
	"testing"
	"time"
)

func TestObserveCommit(t *testing.T) {
	m := NewMetrics()
	m.ObserveCommit(64, 3*time.Millisecond)
	m.ObserveCommit(2, time.Millisecond)
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			switch {
			case mt.Counter != nil:
				got[f.GetName()] = mt.Counter.GetValue()
			case mt.Histogram != nil:
				got[f.GetName()] = mt.Histogram.GetSampleSum()
			}
		}
	}
	if got["petrel_store_commits_total"] != 2 || got["petrel_store_commit_batch_size"] != 66 {
		t.Fatalf("metrics after two commits: %v", got)
	}
}
