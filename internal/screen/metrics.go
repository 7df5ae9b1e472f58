package screen

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/obs"
)

// Metrics count the decisions of screening (README "Spam and abuse").
type Metrics struct {
	// decisions: check is pregreet, dnsbl, rate or greylist; result
	// what it decided (pass, reject, defer, exempt, ...).
	decisions *prometheus.CounterVec
	// lookups: one per DNS list and client, by zone and outcome
	// (listed, clean, unanswered).
	lookups *prometheus.CounterVec
}

// NewMetrics creates the counters and registers them on reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: obs.Namespace, Subsystem: "screen", Name: name, Help: help,
		}, labels)
	}
	m := &Metrics{
		decisions: vec("decisions_total", "Screening decisions on the MX, by check and result.", "check", "result"),
		lookups:   vec("dnsl_lookups_total", "DNS list lookups, by zone and outcome.", "zone", "outcome"),
	}
	if reg != nil {
		reg.MustRegister(m.decisions, m.lookups)
	}
	return m
}

func (m *Metrics) decide(check, result string) {
	m.decisions.WithLabelValues(check, result).Inc()
}
