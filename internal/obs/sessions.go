package obs

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Login results, the values of the "result" label of logins_total.
const (
	LoginSuccess = "success" // credentials accepted
	LoginFailure = "failure" // wrong user name or password
	LoginBlocked = "blocked" // refused by the login throttle, unchecked
)

// otherCommand labels the commands outside a server's known set, so that
// a client cannot create label values (README "IMAP", "POP3").
const otherCommand = "other"

// SessionMetrics are the metrics of a mail-access server (IMAP, POP3):
// sessions, commands, logins and error replies, named
// petrel_<subsystem>_*. The command label takes only the names given to
// NewSessionMetrics and "other". A nil *SessionMetrics counts nothing.
type SessionMetrics struct {
	sessions *prometheus.CounterVec
	active   *prometheus.GaugeVec
	commands *prometheus.CounterVec
	errors   *prometheus.CounterVec
	logins   *prometheus.CounterVec
	known    map[string]bool
}

// NewSessionMetrics creates the metrics of subsystem ("imap", "pop3")
// and registers them on reg (nil: not registered, for tests). commands
// are the upper-case command names the server implements.
func NewSessionMetrics(reg prometheus.Registerer, subsystem string, commands []string) *SessionMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: subsystem, Name: name, Help: help,
		}, labels)
	}
	m := &SessionMetrics{
		sessions: counter("sessions_total", "Sessions started, by listener.", "listener"),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: subsystem, Name: "sessions_active",
			Help: "Sessions open now, by listener.",
		}, []string{"listener"}),
		commands: counter("commands_total", `Commands received, by name ("other" for unknown names).`, "command"),
		errors:   counter("errors_total", `Commands answered with an error, by name ("other" for unknown names).`, "command"),
		logins:   counter("logins_total", "Login attempts, by result (success, failure, blocked).", "result"),
		known:    make(map[string]bool, len(commands)),
	}
	for _, c := range commands {
		m.known[c] = true
	}
	if reg != nil {
		reg.MustRegister(m.sessions, m.active, m.commands, m.errors, m.logins)
	}
	return m
}

// SessionStarted counts a session on listener and returns the function
// that ends it (for the gauge of open sessions).
func (m *SessionMetrics) SessionStarted(listener string) (ended func()) {
	if m == nil {
		return func() {}
	}
	m.sessions.WithLabelValues(listener).Inc()
	g := m.active.WithLabelValues(listener)
	g.Inc()
	return g.Dec
}

// Command counts a command by its name (any case).
func (m *SessionMetrics) Command(name string) {
	if m != nil {
		m.commands.WithLabelValues(m.label(name)).Inc()
	}
}

// Error counts a command answered with an error.
func (m *SessionMetrics) Error(name string) {
	if m != nil {
		m.errors.WithLabelValues(m.label(name)).Inc()
	}
}

// Login counts a login attempt; result is LoginSuccess, LoginFailure or
// LoginBlocked.
func (m *SessionMetrics) Login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

func (m *SessionMetrics) label(name string) string {
	if name = strings.ToUpper(name); m.known[name] {
		return name
	}
	return otherCommand
}
