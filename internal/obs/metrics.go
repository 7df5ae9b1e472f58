package obs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes the names of Petrel's metrics.
const Namespace = "petrel"

// Metrics holds Petrel's Prometheus registry and the metrics of the lower
// layers. Packages that define their own metrics register them on
// Registry (m.Registry.MustRegister(...)); the admin server exposes it.
type Metrics struct {
	// Registry is Petrel's own registry, with the Go runtime and process
	// collectors; the global default registry is not used.
	Registry *prometheus.Registry

	// StoreCommits counts group commits of the store's writer.
	StoreCommits prometheus.Counter
	// StoreCommitBatch observes how many deliveries each group commit held.
	StoreCommitBatch prometheus.Histogram
	// StoreCommitSeconds observes how long each group commit took,
	// fsync included.
	StoreCommitSeconds prometheus.Histogram
}

// NewMetrics creates a registry with the Go and process collectors and
// Petrel's store metrics registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		StoreCommits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "store", Name: "commits_total",
			Help: "Group commits of the store writer.",
		}),
		StoreCommitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "store", Name: "commit_batch_size",
			Help:    "Deliveries per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 .. 1024
		}),
		StoreCommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "store", Name: "commit_duration_seconds",
			Help:    "Duration of group commits, fsync included.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 0.1ms .. 3.3s
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.StoreCommits, m.StoreCommitBatch, m.StoreCommitSeconds,
	)
	return m
}

// ObserveCommit records one group commit of the store writer.
func (m *Metrics) ObserveCommit(batch int, d time.Duration) {
	m.StoreCommits.Inc()
	m.StoreCommitBatch.Observe(float64(batch))
	m.StoreCommitSeconds.Observe(d.Seconds())
}
