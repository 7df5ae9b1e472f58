package testkit

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gather flattens a registry into "name{label=value,...}" -> value, for
// counters and gauges.
func Gather(t testing.TB, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue()
			if mf.GetType() == dto.MetricType_GAUGE {
				v = m.GetGauge().GetValue()
			}
			out[mf.GetName()+"{"+strings.Join(ls, ",")+"}"] = v
		}
	}
	return out
}

// CheckMetrics gathers reg once the gauge settle reads 0 (sessions that
// just ended; at most 5 s), and reports every metric of want whose value
// differs, and every metric whose name contains forbidden (a label that
// must not exist).
func CheckMetrics(t testing.TB, reg prometheus.Gatherer, settle string, want map[string]float64, forbidden string) {
	t.Helper()
	var got map[string]float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got = Gather(t, reg)
		if got[settle] == 0 || time.Now().After(deadline) {
			break
		}
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if forbidden != "" && strings.Contains(k, forbidden) {
			t.Errorf("unexpected metric %s", k)
		}
	}
}
