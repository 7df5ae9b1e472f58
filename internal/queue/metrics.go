package queue

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// Metrics are the queue's Prometheus metrics.
type Metrics struct {
	// Attempts counts delivery attempts per recipient by outcome
	// (delivered, deferred, failed).
	Attempts *prometheus.CounterVec
	// Deliveries counts recipients delivered.
	Deliveries prometheus.Counter
	// Bounces counts reports sent, by kind (failed, delayed, relayed).
	Bounces *prometheus.CounterVec
}

// NewMetrics creates the queue metrics and registers them, with a gauge
// of the queue size by recipient state read from st at each scrape.
func NewMetrics(reg prometheus.Registerer, st Store) *Metrics {
	m := &Metrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: obs.Namespace, Subsystem: "queue",
			Name: "attempts_total", Help: "Delivery attempts per recipient, by outcome."}, []string{"outcome"}),
		Deliveries: prometheus.NewCounter(prometheus.CounterOpts{Namespace: obs.Namespace, Subsystem: "queue",
			Name: "deliveries_total", Help: "Recipients delivered to a remote server."}),
		Bounces: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: obs.Namespace, Subsystem: "queue",
			Name: "reports_total", Help: "Delivery status notifications sent, by action."}, []string{"action"}),
	}
	reg.MustRegister(m.Attempts, m.Deliveries, m.Bounces, &sizeCollector{st: st,
		desc: prometheus.NewDesc(obs.Namespace+"_queue_recipients", "Recipients in the queue, by state.",
			[]string{"state"}, nil)})
	return m
}

func (m *Metrics) attempt(outcome string) {
	if m != nil {
		m.Attempts.WithLabelValues(outcome).Inc()
		if outcome == "delivered" {
			m.Deliveries.Inc()
		}
	}
}

func (m *Metrics) report(action string) {
	if m != nil {
		m.Bounces.WithLabelValues(action).Inc()
	}
}

// sizeCollector reports the queue size by state at scrape time.
type sizeCollector struct {
	st   Store
	desc *prometheus.Desc
}

func (c *sizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *sizeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.st.QueueCounts(ctx)
	if err != nil {
		return
	}
	for _, s := range []store.RcptState{store.RcptPending, store.RcptDeferred, store.RcptDelivered, store.RcptFailed, store.RcptHeld} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s.String())
	}
}
