package smtpd

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// Rejection reasons, the values of the "reason" label.
const (
	reasonRelay              = "relay"
	reasonSenderNotOwned     = "sender_not_owned"
	reasonPolicy             = "policy"
	reasonAuth               = "auth"
	reasonConfig             = "config"
	reasonNoSuchUser         = "no_such_user"
	reasonTooBig             = "too_big"
	reasonTooManyRcpts       = "too_many_rcpts"
	reasonQuota              = "quota"
	reasonBadCommand         = "bad_command"
	reasonTooManyErrors      = "too_many_errors"
	reasonTooManyConnections = "too_many_connections"
	reasonTimeout            = "timeout"
	reasonContent            = "content"
	reasonLocalError         = "local_error"
	reasonNoSpace            = "no_space"
	reasonLoop               = "loop"
	reasonShutdown           = "shutdown"
	reasonOther              = "other"
)

// Metrics are the counters of the SMTP-family servers; one Metrics serves
// every listener (the "listener" label tells them apart).
type Metrics struct {
	connections *prometheus.CounterVec
	accepted    *prometheus.CounterVec
	rejections  *prometheus.CounterVec
}

// NewMetrics creates the counters and registers them on reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: obs.Namespace, Subsystem: "smtpd", Name: name, Help: help,
		}, labels)
	}
	m := &Metrics{
		connections: vec("connections_total", "Connections accepted by the listener, refused ones included.", "listener"),
		accepted:    vec("messages_accepted_total", "Messages accepted after DATA or BDAT LAST (for at least one recipient).", "listener"),
		rejections:  vec("rejections_total", "Negative replies sent, by reason.", "listener", "reason"),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.accepted, m.rejections)
	}
	return m
}

func (m *Metrics) reject(listener, reason string) {
	m.rejections.WithLabelValues(listener, reason).Inc()
}

// reasonOf classifies a negative reply by its enhanced code (RFC 3463
// subject.detail); the session-level 421s name their reason themselves.
// X.7.1 ("delivery not authorized") is told apart by the basic code: 554
// is a relay refusal, 553 an address the authenticated user may not send
// as (RFC 6409 §6.1), others a policy refusal (DMARC). The temporary SPF
// and DKIM failures that DMARC needs (RFC 7372 §3.1, RFC 6376 X.7.5) are
// policy too, as DMARC's own; X.7.0/X.7.8/X.7.11 are AUTH's (RFC 4954 §6),
// X.3.5 a service this server is not set up for.
func reasonOf(r *smtpreply.Reply) string {
	switch [2]int{r.Enhanced[1], r.Enhanced[2]} {
	case [2]int{7, 5}, [2]int{7, 20}, [2]int{7, 21}, [2]int{7, 22}, [2]int{7, 23}, [2]int{7, 24}, [2]int{7, 25}, [2]int{7, 26}:
		return reasonPolicy
	case [2]int{7, 0}, [2]int{7, 8}, [2]int{7, 11}:
		return reasonAuth
	case [2]int{3, 5}:
		return reasonConfig
	case [2]int{7, 1}:
		switch r.Code {
		case 554:
			return reasonRelay
		case 553:
			return reasonSenderNotOwned
		}
		return reasonPolicy
	case [2]int{1, 1}:
		return reasonNoSuchUser
	case [2]int{3, 4}:
		return reasonTooBig
	case [2]int{5, 3}:
		return reasonTooManyRcpts
	case [2]int{2, 2}:
		return reasonQuota
	case [2]int{4, 6}:
		return reasonLoop
	case [2]int{4, 2}:
		return reasonTimeout
	case [2]int{3, 0}:
		return reasonLocalError
	case [2]int{3, 1}:
		return reasonNoSpace
	case [2]int{3, 2}:
		return reasonShutdown
	case [2]int{6, 0}:
		return reasonContent
	case [2]int{1, 3}, [2]int{6, 7}, [2]int{5, 1}, [2]int{5, 2}, [2]int{5, 4}:
		return reasonBadCommand
	}
	return reasonOther
}
