package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
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

// TestIndexerDefersWhilePoked: while pokes keep coming (deliveries
// streaming in) the indexer does not step, and steps once they pause;
// pokes without a pause still get a step by the deferral's bound.
func TestIndexerDefersWhilePoked(t *testing.T) {
	var steps atomic.Int32
	step := func(context.Context) (int, error) { steps.Add(1); return 0, nil }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	waitSteps := func(x *Indexer, n int32) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); steps.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d steps, want %d", steps.Load(), n)
			}
		}
	}
	pokeFor := func(x *Indexer, d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			x.Poke()
		}
	}

	x := startIndexer(step, time.Hour, 400*time.Millisecond, time.Hour, log)
	waitSteps(x, 1) // at start
	pokeFor(x, 600*time.Millisecond)
	if n := steps.Load(); n != 1 {
		t.Errorf("%d steps while poked, want none after the first", n-1)
	}
	waitSteps(x, 2) // the pokes paused
	x.Stop()

	steps.Store(0)
	x = startIndexer(step, time.Hour, 400*time.Millisecond, 200*time.Millisecond, log)
	defer x.Stop()
	waitSteps(x, 1)
	pokeFor(x, 1500*time.Millisecond)
	if n := steps.Load(); n < 3 {
		t.Errorf("%d steps in 1.5 s of pokes with a deferral of 0.2 s, want at least 2 after the first", n)
	}
}
