package smtpreply

import (
	"errors"
	"fmt"
	"strings"
)

// Enhanced is an enhanced status code class.subject.detail (RFC 3463).
type Enhanced [3]int

func (e Enhanced) String() string { return fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2]) }

// Reply is one SMTP reply.
type Reply struct {
	Code     int      // 3 digits (RFC 5321 §4.2)
	Enhanced Enhanced // zero for replies without one (greeting, EHLO)
	Text     string   // may hold several lines separated by "\n"
}

// New builds a reply.
func New(code int, enh Enhanced, format string, args ...any) *Reply {
	return &Reply{Code: code, Enhanced: enh, Text: fmt.Sprintf(format, args...)}
}

func (r *Reply) Error() string { return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text) }

// Temporary reports a 4xx reply; Permanent a 5xx.
func (r *Reply) Temporary() bool { return r.Code/100 == 4 }
func (r *Reply) Permanent() bool { return r.Code/100 == 5 }
func (r *Reply) Positive() bool  { return r.Code/100 == 2 || r.Code/100 == 3 }

// Lines formats the reply for the wire, one string per line without CRLF:
// "250-2.0.0 first", "250 2.0.0 last" (RFC 5321 §4.2.1). Control
// characters in the text are replaced so a reply can never break the
// protocol.
func (r *Reply) Lines() []string {
	parts := strings.Split(r.Text, "\n")
	out := make([]string, len(parts))
	for i, p := range parts {
		sep := "-"
		if i == len(parts)-1 {
			sep = " "
		}
		p = sanitize(p)
		if r.Enhanced != (Enhanced{}) {
			p = r.Enhanced.String() + " " + p
		}
		out[i] = fmt.Sprintf("%03d%s%s", r.Code, sep, p)
	}
	return out
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// As returns err as a *Reply when it is one.
func As(err error) (*Reply, bool) {
	var r *Reply
	if errors.As(err, &r) {
		return r, true
	}
	return nil, false
}
