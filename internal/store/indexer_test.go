package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestBacklogCollector: the collector reports the backlog read at the
// scrape (the age of the oldest body), 0 s with none waiting, and
// nothing when the read fails.
func TestBacklogCollector(t *testing.T) {
	var cur IndexBacklog
	var fail error
	c := NewBacklogCollector(func(context.Context) (IndexBacklog, error) { return cur, fail })

	cur = IndexBacklog{Bodies: 42, Oldest: time.Now().Add(-90 * time.Second)}
	if got := gauge(t, c, "petrel_fts_backlog_bodies"); got != 42 {
		t.Errorf("bodies %v, want 42", got)
	}
	if got := gauge(t, c, "petrel_fts_backlog_oldest_seconds"); got < 89 || got > 150 {
		t.Errorf("oldest %v s, want about 90", got)
	}
	cur = IndexBacklog{}
	if got := gauge(t, c, "petrel_fts_backlog_oldest_seconds"); got != 0 {
		t.Errorf("oldest %v s with none waiting, want 0", got)
	}
	fail = errors.New("database gone")
	ch := make(chan prometheus.Metric, 4)
	c.Collect(ch)
	if n := len(ch); n != 0 {
		t.Errorf("%d metrics after a failed read, want none", n)
	}
}

// gauge is the value of the collector's gauge named name.
func gauge(t *testing.T, c prometheus.Collector, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
