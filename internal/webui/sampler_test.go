package webui

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The hourly traffic: growth between samples, put in the hour the later
// sample falls in, with the growth since the last sample up to now; a
// counter reset counts from zero; samples older than 24 hours drop out.
func TestSamplerHourly(t *testing.T) {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano())
	reg := prometheus.NewRegistry()
	in := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "petrel_smtpd_messages_accepted_total", Help: "x"}, []string{"listener"})
	rej := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "petrel_smtpd_rejections_total", Help: "x"}, []string{"reason"})
	out := prometheus.NewCounter(prometheus.CounterOpts{Name: "petrel_queue_deliveries_total", Help: "x"})
	reg.MustRegister(in, rej, out)
	s := NewSampler(reg, 30*time.Minute, c.now)

	s.Sample()                              // 00:00: all 0
	in.WithLabelValues("smtp").Add(5)       // two series of one family are summed
	in.WithLabelValues("submission").Add(2) //
	rej.WithLabelValues("relay").Add(1)
	c.advance(30 * time.Minute)
	s.Sample() // 00:30: in 7
	out.Add(4)
	c.advance(3 * time.Hour) // 03:30: out 4, read live
	gotIn, gotOut, gotRej := s.Hourly()
	if gotIn[20] != 7 || gotRej[20] != 1 || gotOut[23] != 4 {
		t.Errorf("in %v\nout %v\nrejected %v: want 7 in and 1 rejected 3 h ago, 4 out now", gotIn, gotOut, gotRej)
	}
	if sumOf(gotIn) != 7 || sumOf(gotOut) != 4 || sumOf(gotRej) != 1 {
		t.Errorf("totals %v %v %v", sumOf(gotIn), sumOf(gotOut), sumOf(gotRej))
	}

	// A day later the growth of in (00:00 to 00:30) has left the chart;
	// that of out, between the 00:30 sample and the one made now (the
	// 03:30 reading was live, not kept), is in the last hour.
	c.advance(24 * time.Hour)
	s.Sample()
	if gotIn, gotOut, _ := s.Hourly(); sumOf(gotIn) != 0 || gotOut[23] != 4 {
		t.Errorf("a day later: in %v out %v", sumOf(gotIn), gotOut)
	}
	if n := len(s.ring); n > 24*2+1 {
		t.Errorf("the ring keeps %d samples, want at most %d", n, 24*2+1)
	}

	// A reset (a counter lower than before) counts from zero.
	if g := growth(10, 3); g != 3 {
		t.Errorf("growth after a reset: %v, want 3", g)
	}
}

func sumOf(v [24]float64) float64 {
	var t float64
	for _, x := range v {
		t += x
	}
	return t
}

// The chart is laid out to scale: the highest bar fills the height.
func TestNewChart(t *testing.T) {
	var v [24]float64
	v[0], v[23] = 10, 5
	c := newChart("x", v)
	if c.Total != 15 || c.Max != 10 || len(c.Bars) != 24 {
		t.Fatalf("chart %+v", c)
	}
	if c.Bars[0].H != chartH-1 || c.Bars[23].H != (chartH-1)/2+1 && c.Bars[23].H != (chartH-1)/2 || c.Bars[5].H != 0 {
		t.Errorf("bar heights %d %d %d", c.Bars[0].H, c.Bars[23].H, c.Bars[5].H)
	}
	if c.Bars[0].Y+c.Bars[0].H != chartH || c.Bars[23].X != 23*(chartW/24) {
		t.Errorf("bar geometry %+v %+v", c.Bars[0], c.Bars[23])
	}
}
