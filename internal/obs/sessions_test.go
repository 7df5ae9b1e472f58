package obs

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSessionMetricsBoundedLabels: known commands in any case count under
// their upper-case name; any other name counts as "other", so the label
// set stays the known names plus one however many names clients send.
func TestSessionMetricsBoundedLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewSessionMetrics(reg, "test", []string{"NOOP"})
	m.Command("noop")
	m.Command("NOOP")
	for i := range 50 {
		m.Command(strings.Repeat("x", i))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "petrel_test_commands_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			got[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
		}
	}
	if len(got) != 2 || got["NOOP"] != 2 || got["other"] != 50 {
		t.Fatalf("commands_total = %v, want NOOP 2, other 50 and nothing else", got)
	}
	var nilM *SessionMetrics // counts nothing, does not panic
	nilM.Command("NOOP")
	nilM.SessionStarted("x")()
}
