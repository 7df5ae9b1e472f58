package obs

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gather returns the registry's metric families by name.
func gather(t *testing.T, m *Metrics) map[string][]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, mf := range mfs {
		for _, metric := range mf.GetMetric() {
			var v float64
			switch {
			case metric.GetCounter() != nil:
				v = metric.GetCounter().GetValue()
			case metric.GetHistogram() != nil:
				v = float64(metric.GetHistogram().GetSampleCount())
			case metric.GetGauge() != nil:
				v = metric.GetGauge().GetValue()
			}
			out[mf.GetName()] = append(out[mf.GetName()], v)
		}
	}
	return out
}

func TestMetricsCollectors(t *testing.T) {
	got := gather(t, NewMetrics())
	for _, name := range []string{"go_goroutines", "process_open_fds", "petrel_store_commits_total"} {
		if _, ok := got[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	if got["go_goroutines"][0] < 1 {
		t.Errorf("go_goroutines = %v", got["go_goroutines"])
	}
}

func TestMetricsStore(t *testing.T) {
	m := NewMetrics()
	m.StoreCommits.Add(3)
	m.StoreCommitBatch.Observe(17)
	m.StoreCommitSeconds.Observe(0.002)
	m.StoreCommitSeconds.Observe(0.004)
	got := gather(t, m)
	if v := got["petrel_store_commits_total"]; len(v) != 1 || v[0] != 3 {
		t.Errorf("commits_total = %v, want 3", v)
	}
	if v := got["petrel_store_commit_batch_size"]; len(v) != 1 || v[0] != 1 {
		t.Errorf("commit_batch_size count = %v, want 1", v)
	}
	if v := got["petrel_store_commit_duration_seconds"]; len(v) != 1 || v[0] != 2 {
		t.Errorf("commit_duration_seconds count = %v, want 2", v)
	}
}

// Each Metrics has its own registry: two can coexist, the global default
// registry is untouched, and later packages can register collectors.
func TestMetricsRegistriesAreSeparate(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.StoreCommits.Inc()
	if v := gather(t, b)["petrel_store_commits_total"]; v[0] != 0 {
		t.Errorf("b sees a's commit: %v", v)
	}
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "petrel_test_total", Help: "test"})
	b.Registry.MustRegister(extra)
	extra.Inc()
	if v := gather(t, b)["petrel_test_total"]; len(v) != 1 || v[0] != 1 {
		t.Errorf("registered counter = %v", v)
	}
	if _, ok := gather(t, a)["petrel_test_total"]; ok {
		t.Error("counter registered on b shows up on a")
	}
	if err := prometheus.DefaultRegisterer.Register(a.StoreCommits); err != nil {
		t.Errorf("store counter already on the default registry: %v", err)
	} else {
		prometheus.DefaultRegisterer.Unregister(a.StoreCommits)
	}
}
