package webui

import (
	"context"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Gatherer is what the sampler reads the counters from
// (prometheus.Registry).
type Gatherer interface {
	Gather() ([]*dto.MetricFamily, error)
}

// The counters the dashboard charts (README "Web and API"): every series
// of each family is summed.
var (
	inFamilies       = []string{"petrel_smtpd_messages_accepted_total"}
	outFamilies      = []string{"petrel_queue_deliveries_total"}
	rejectedFamilies = []string{"petrel_smtpd_rejections_total"}
)

// sample is the counters at one time.
type sample struct {
	at                time.Time
	in, out, rejected float64
}

// Sampler keeps the last 24 hours of the counters of messages in, out and
// refused, one sample every interval, in memory: each node charts its own
// traffic.
type Sampler struct {
	g        Gatherer
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	ring []sample // oldest first, at most 24h/interval+1
}

// NewSampler returns a sampler of g every interval (default 5 minutes);
// now (nil: time.Now) stamps the samples.
func NewSampler(g Gatherer, interval time.Duration, now func() time.Time) *Sampler {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &Sampler{g: g, interval: interval, now: now}
}

// Run samples at once and then every interval until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	s.Sample()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sample()
		}
	}
}

// read reads the counters now; false when the registry gave nothing.
func (s *Sampler) read() (sample, bool) {
	fams, err := s.g.Gather()
	if err != nil && len(fams) == 0 {
		return sample{}, false
	}
	return sample{at: s.now(), in: sum(fams, inFamilies), out: sum(fams, outFamilies), rejected: sum(fams, rejectedFamilies)}, true
}

// Sample reads the counters now and keeps the reading.
func (s *Sampler) Sample() {
	sm, ok := s.read()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := int(24*time.Hour/s.interval) + 1
	s.ring = append(s.ring, sm)
	if len(s.ring) > keep {
		s.ring = append(s.ring[:0:0], s.ring[len(s.ring)-keep:]...)
	}
}

// sum adds the values of every series of the counter families named.
func sum(fams []*dto.MetricFamily, names []string) float64 {
	var t float64
	for _, f := range fams {
		for _, n := range names {
			if f.GetName() != n {
				continue
			}
			for _, m := range f.GetMetric() {
				t += m.GetCounter().GetValue()
			}
		}
	}
	return t
}

// Hourly is the traffic of each of the last 24 hours, the oldest first:
// the growth of each counter between the samples that end in that hour,
// and since the last sample up to a reading made now (not kept). A
// counter that went down (a restart) counts from zero.
func (s *Sampler) Hourly() (in, out, rejected [24]float64) {
	live, ok := s.read()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ring := s.ring
	if ok && len(ring) > 0 {
		ring = append(ring[:len(ring):len(ring)], live)
	}
	for i := 1; i < len(ring); i++ {
		a, b := ring[i-1], ring[i]
		age := now.Sub(b.at)
		if age < 0 || age >= 24*time.Hour {
			continue
		}
		h := 23 - int(age/time.Hour)
		in[h] += growth(a.in, b.in)
		out[h] += growth(a.out, b.out)
		rejected[h] += growth(a.rejected, b.rejected)
	}
	return in, out, rejected
}

func growth(a, b float64) float64 {
	if b < a {
		return b
	}
	return b - a
}

// Gauge returns the values of the gauge family name by its label label
// ("" for a family without labels), read now.
func (s *Sampler) Gauge(name, label string) map[string]float64 {
	fams, _ := s.g.Gather()
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			key := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					key = lp.GetValue()
				}
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}
