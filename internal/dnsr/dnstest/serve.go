package dnstest

import (
	"strings"

	"github.com/miekg/dns"
)

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	if len(q.Question) != 1 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	name := strings.ToLower(q.Question[0].Name)
	if s.silent[name] {
		return
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	s.answer(m, name, q.Question[0].Qtype)
	if s.truncate && w.LocalAddr().Network() == "udp" && len(m.Answer) > 0 {
		m.Answer = nil
		m.Truncated = true
	}
	_ = w.WriteMsg(m)
}

// answer fills in the records, NXDOMAIN or SERVFAIL.
func (s *Server) answer(m *dns.Msg, name string, qtype uint16) {
	switch rrs, ok := s.records[name]; {
	case s.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case !ok:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
}
