package dnstest

import (
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	if len(q.Question) != 1 {
		return
	}
	m, delay := s.reply(q, w.LocalAddr().Network() == "udp")
	if m == nil {
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-s.stop:
			return
		}
	}
	_ = w.WriteMsg(m)
}

// reply counts the query and makes its answer: nil when it goes
// unanswered.
func (s *Server) reply(q *dns.Msg, udp bool) (*dns.Msg, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	name := strings.ToLower(q.Question[0].Name)
	s.byName[name]++
	if s.silent[name] {
		return nil, 0
	}
	if udp && s.drop[name] > 0 {
		s.drop[name]--
		return nil, 0
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	s.answer(m, name, q.Question[0].Qtype)
	m.AuthenticatedData = s.ad && !s.insecure[name] && m.Rcode != dns.RcodeServerFailure && asksAD(q)
	if s.truncate && udp && len(m.Answer) > 0 {
		m.Answer = nil
		m.Truncated = true
	}
	return m, s.delay[name]
}

// answer fills in the records, NXDOMAIN or SERVFAIL; a negative answer
// carries the SOA of the zone in the authority section (RFC 2308 §3).
func (s *Server) answer(m *dns.Msg, name string, qtype uint16) {
	switch rrs, ok := s.records[name]; {
	case s.servfail[name], s.servfail[name+"/"+dns.TypeToString[qtype]]:
		m.Rcode = dns.RcodeServerFailure
		return
	case !ok:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	if len(m.Answer) == 0 {
		if soa := s.soaOf(name); soa != nil {
			m.Ns = append(m.Ns, dns.Copy(soa))
		}
	}
}

// soaOf returns the SOA record at name or its closest ancestor that has
// one, or nil.
func (s *Server) soaOf(name string) dns.RR {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		for _, rr := range s.records[name[off:]] {
			if rr.Header().Rrtype == dns.TypeSOA {
				return rr
			}
		}
	}
	return nil
}

// asksAD reports whether the query wants the AD bit: it set AD (RFC 6840
// §5.7) or DO (RFC 3225 §3).
func asksAD(q *dns.Msg) bool {
	if q.AuthenticatedData {
		return true
	}
	opt := q.IsEdns0()
	return opt != nil && opt.Do()
}
