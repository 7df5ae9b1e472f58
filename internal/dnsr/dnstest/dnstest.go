// Package dnstest is a small authoritative-looking DNS server on loopback
// (UDP and TCP on one port) for tests: records are added as zone-file
// lines; a name without records is NXDOMAIN, a name with records of other
// types NODATA, and both negative answers carry the SOA record of the
// closest enclosing name that has one in the authority section (RFC 2308
// §3), if any was added. Names can be made to fail with SERVFAIL, to get
// no answer at all, to lose their first UDP queries or to be answered
// late. With SetAD the server acts as a validating resolver: its answers
// carry the AD bit (RFC 4035 §3.2.3) when the query asks for it, except
// for the names made Insecure; TLSA makes the TLSA record of a
// certificate.
package dnstest

import (
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server answers queries from its records until the test ends.
type Server struct {
	Addr string // "127.0.0.1:port", for UDP and TCP

	mu       sync.Mutex
	records  map[string][]dns.RR // by lower-case FQDN
	servfail map[string]bool
	silent   map[string]bool
	drop     map[string]int           // UDP queries still to lose, by name
	delay    map[string]time.Duration // wait before answering, by name
	truncate bool
	ad       bool            // set the AD bit when asked (SetAD)
	insecure map[string]bool // names answered without it
	queries  int
	byName   map[string]int
	stop     chan struct{} // closed at the end of the test: no more waits
}

// Start runs a server on 127.0.0.1 and stops it at the end of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, servfail: map[string]bool{}, silent: map[string]bool{}, insecure: map[string]bool{},
		drop: map[string]int{}, delay: map[string]time.Duration{}, byName: map[string]int{}, stop: make(chan struct{})}
	pc, ln := listen(t)
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		close(s.stop)
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
// "example.org. MX 10 mx.example.org." (the TTL defaults to 3600;
// "example.org. 60 MX ..." sets it).
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

// ParseZone parses zone-file text as a name server would, failing the
// test when it is not a valid zone file.
func ParseZone(t testing.TB, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("dnstest: not a valid zone file: %v\n%s", err, text)
	}
	return rrs
}

// AddExcept adds the records rrs but those of drop, each "TYPE owner."
// ("MX example.org.").
func (s *Server) AddExcept(t testing.TB, rrs []dns.RR, drop ...string) {
	t.Helper()
	for _, rr := range rrs {
		h := rr.Header()
		if !slices.Contains(drop, dns.TypeToString[h.Rrtype]+" "+h.Name) {
			s.Add(t, rr.String())
		}
	}
}

// Remove deletes every record at name (which then answers NXDOMAIN).
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key(name))
}

// ServFail makes queries for name answer SERVFAIL.
func (s *Server) ServFail(name string) { s.set(s.servfail, name) }

// ServFailType makes only the queries for name of type qtype (dns.TypeAAAA)
// answer SERVFAIL, as a validating resolver does for a bogus RRset.
func (s *Server) ServFailType(name string, qtype uint16) {
	s.set(s.servfail, key(name)+"/"+dns.TypeToString[qtype])
}

// Silent makes queries for name go unanswered (the client times out).
func (s *Server) Silent(name string) { s.set(s.silent, name) }

// DropUDP makes the next n UDP queries for name go unanswered, as a lossy
// network would lose them; later queries are answered.
func (s *Server) DropUDP(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop[key(name)] = n
}

// Delay makes the answers for name leave d after their query arrived.
func (s *Server) Delay(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[key(name)] = d
}

// TruncateUDP makes every UDP answer with records truncated (TC bit, no
// records), so clients must ask again over TCP.
func (s *Server) TruncateUDP() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate = true
}

// SetAD makes the server act as a DNSSEC-validating resolver (or stop):
// an answer, records or their absence, carries the AD bit when the query
// set the AD or the DO bit (RFC 6840 §5.7, RFC 3225 §3), but for the
// names made Insecure.
func (s *Server) SetAD(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ad = on
}

// Insecure makes the answers for name go without the AD bit, as for a
// name in an unsigned zone.
func (s *Server) Insecure(name string) { s.set(s.insecure, name) }

// Queries returns how many queries the server has received.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// QueriesFor returns how many queries for name (of any type, over UDP or
// TCP, answered or not) the server has received.
func (s *Server) QueriesFor(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[key(name)]
}

func (s *Server) set(m map[string]bool, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m[key(name)] = true
}

// key is the lower-case FQDN the maps are indexed by.
func key(name string) string { return dns.Fqdn(strings.ToLower(name)) }
