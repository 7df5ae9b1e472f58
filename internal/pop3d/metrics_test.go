package pop3d

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestMetrics: sessions, commands (unknown names as "other", never as a
// label of their own), error replies and logins by result are counted,
// and the open-session gauge returns to 0 when the session ends.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(_ *Config, d *Deps) { d.Metrics = NewMetrics(reg) })
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS wrong", "-ERR")
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS "+testPass, "+OK")
	cl.cmd("XYZZY", "-ERR")
	cl.cmd("STAT", "+OK")
	if got := testkit.Gather(t, reg)["petrel_pop3_sessions_active{listener=pop3}"]; got != 1 {
		t.Errorf("sessions_active during the session = %v, want 1", got)
	}
	cl.cmd("QUIT", "+OK")
	want := map[string]float64{
		"petrel_pop3_sessions_total{listener=pop3}":  1,
		"petrel_pop3_commands_total{command=USER}":   2,
		"petrel_pop3_commands_total{command=PASS}":   2,
		"petrel_pop3_commands_total{command=STAT}":   1,
		"petrel_pop3_commands_total{command=other}":  1,
		"petrel_pop3_errors_total{command=PASS}":     1,
		"petrel_pop3_errors_total{command=other}":    1,
		"petrel_pop3_logins_total{result=success}":   1,
		"petrel_pop3_logins_total{result=failure}":   1,
		"petrel_pop3_sessions_active{listener=pop3}": 0,
	}
	testkit.CheckMetrics(t, reg, "petrel_pop3_sessions_active{listener=pop3}", want, "XYZZY") // an unknown command got no label
}
