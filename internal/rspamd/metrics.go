package rspamd

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/obs"
)

// Metrics count scans by rspamd's action and learning reports.
type Metrics struct {
	scans   *prometheus.CounterVec
	seconds prometheus.Histogram
	learns  *prometheus.CounterVec
}

// NewMetrics registers the rspamd metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: obs.Namespace, Subsystem: "rspamd", Name: "scans_total",
			Help: "Messages scanned by rspamd, by rspamd's action (error: not scanned, the failure policy applied).",
		}, []string{"action"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: obs.Namespace, Subsystem: "rspamd", Name: "scan_duration_seconds",
			Help:    "Duration of rspamd scans, the wait for a free slot included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15), // 1ms .. 16s
		}),
		learns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: obs.Namespace, Subsystem: "rspamd", Name: "learn_total",
			Help: "Messages reported to rspamd's classifier from IMAP moves, by class and result (ok, error, dropped).",
		}, []string{"class", "result"}),
	}
	reg.MustRegister(m.scans, m.seconds, m.learns)
	return m
}

func (m *Metrics) observe(action string, d time.Duration) {
	if m == nil {
		return
	}
	m.scans.WithLabelValues(action).Inc()
	m.seconds.Observe(d.Seconds())
}

func (m *Metrics) learned(spam bool, result string) {
	if m == nil {
		return
	}
	class := "ham"
	if spam {
		class = "spam"
	}
	m.learns.WithLabelValues(class, result).Inc()
}
