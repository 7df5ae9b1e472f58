package imapd

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestMetrics: sessions, commands (UID forms under their command, unknown
// names as "other", never as a label of their own), NO and BAD replies
// and logins by result are counted, and the open-session gauge returns to
// 0 when the session ends.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(_ *Config, d *Deps) { d.Metrics = NewMetrics(reg) })
	r := e.dial()
	if _, st := r.Cmd(`a LOGIN ` + testUser + ` "wrong"`); !strings.HasPrefix(st, "a NO ") {
		t.Fatalf("wrong password: %q", st)
	}
	r.OK("b LOGIN " + testUser + ` "` + testPass + `"`)
	r.OK("c SELECT INBOX")
	r.OK("d UID FETCH 1:* FLAGS")
	if _, st := r.Cmd("e XYZZY"); !strings.HasPrefix(st, "e BAD ") {
		t.Fatalf("unknown command: %q", st)
	}
	if got := testkit.Gather(t, reg)["petrel_imap_sessions_active{listener=imap}"]; got != 1 {
		t.Errorf("sessions_active during the session = %v, want 1", got)
	}
	r.OK("f LOGOUT")
	want := map[string]float64{
		"petrel_imap_sessions_total{listener=imap}":  1,
		"petrel_imap_commands_total{command=LOGIN}":  2,
		"petrel_imap_commands_total{command=SELECT}": 1,
		"petrel_imap_commands_total{command=FETCH}":  1,
		"petrel_imap_commands_total{command=other}":  1,
		"petrel_imap_commands_total{command=LOGOUT}": 1,
		"petrel_imap_errors_total{command=LOGIN}":    1,
		"petrel_imap_errors_total{command=other}":    1,
		"petrel_imap_logins_total{result=success}":   1,
		"petrel_imap_logins_total{result=failure}":   1,
		"petrel_imap_sessions_active{listener=imap}": 0,
	}
	testkit.CheckMetrics(t, reg, "petrel_imap_sessions_active{listener=imap}", want, "XYZZY") // an unknown command got no label
}
