// Package dnstest is a small authoritative-looking DNS server on loopback
// (UDP and TCP on one port) for tests: records are added as zone-file
// lines; a name without records is NXDOMAIN, a name with records of other
// types NODATA; names can be made to fail with SERVFAIL or to get no
// answer at all.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server answers queries from its records until the test ends.
type Server struct {
	Addr string // "127.0.0.1:port", for UDP and TCP

	mu       sync.Mutex
	records  map[string][]dns.RR // by lower-case FQDN
	servfail map[string]bool
	silent   map[string]bool
	truncate bool
	queries  int
}

// Start runs a server on 127.0.0.1 and stops it at the end of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, servfail: map[string]bool{}, silent: map[string]bool{}}
	pc, ln := listen(t)
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return s
}

// listen binds UDP and TCP on the same loopback port.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: %v", err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		_ = pc.Close()
	}
	t.Fatal("dnstest: no port free for both UDP and TCP")
	return nil, nil
}

// Add adds records given as zone-file lines, e.g.
// "example.org. MX 10 mx.example.org." (the TTL defaults to 3600).
func (s *Server) Add(t testing.TB, lines ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range lines {
		rr, err := dns.NewRR(line)
		if err != nil || rr == nil {
			t.Fatalf("dnstest: bad record %q: %v", line, err)
		}
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
}

// ServFail makes queries for name answer SERVFAIL.
func (s *Server) ServFail(name string) { s.set(s.servfail, name) }

// Silent makes queries for name go unanswered (the client times out).
func (s *Server) Silent(name string) { s.set(s.silent, name) }

// TruncateUDP makes every UDP answer with records truncated (TC bit, no
// records), so clients must ask again over TCP.
func (s *Server) TruncateUDP() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate = true
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

func (s *Server) set(m map[string]bool, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m[dns.Fqdn(strings.ToLower(name))] = true
}
