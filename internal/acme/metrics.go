package acme

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the ACME metrics (README "Certificates and transport
// security").
type metrics struct {
	failures *prometheus.CounterVec
	expiry   *prometheus.Desc
}

func newMetrics() *metrics {
	return &metrics{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "petrel", Subsystem: "acme", Name: "failures_total",
			Help: "Failed attempts to obtain (op=obtain) or renew (op=renew) a certificate, by name.",
		}, []string{"name", "op"}),
		expiry: prometheus.NewDesc("petrel_acme_certificate_expiry_days",
			"Days until the ACME certificate in use for the name expires (absent: none yet).",
			[]string{"name"}, nil),
	}
}

// collector reports the failures and each name's days to expiry, read
// from the certificates in use at collection time.
func (mt *metrics) collector(m *Manager) prometheus.Collector {
	return collector{mt: mt, m: m}
}

type collector struct {
	mt *metrics
	m  *Manager
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	c.mt.failures.Describe(ch)
	ch <- c.mt.expiry
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.mt.failures.Collect(ch)
	for _, name := range c.m.Names() {
		if leaf := c.m.Leaf(name); leaf != nil {
			days := time.Until(leaf.NotAfter).Hours() / 24
			ch <- prometheus.MustNewConstMetric(c.mt.expiry, prometheus.GaugeValue, days, name)
		}
	}
}
