package dnsr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// firstWait is how long the first UDP query waits for its answer before
// the question is sent again; each later wait is twice the one before,
// all within the lookup's timeout: with the default 5 s, sends at 0, 1 s
// and 3 s. RFC 1035 §4.2.1 asks for retransmission with a wait adapted to
// the server and RFC 1536 §1 for exponential backoff; 1 s is the first
// timeout of djbdns, below glibc's and Go's 5 s per try (whose first
// retransmission comes too late for a mail server under load) and above
// the round trip of any working recursive resolver.
const firstWait = time.Second

// errRcode is the cause of a Temporary error from a server's RCODE.
type errRcode int

func (e errRcode) Error() string { return "server answered " + dns.RcodeToString[int(e)] }

// errQuestion: the reply was not for the question asked.
var errQuestion = errors.New("reply for another question")

// reply is the outcome of one send to one server.
type reply struct {
	server string
	msg    *dns.Msg
	err    error
}

// query asks the servers for fqdn/t over UDP and returns the first reply
// that is an answer (NOERROR or NXDOMAIN). A send that gets nothing is
// repeated after firstWait, 2*firstWait, ... (RFC 1035 §4.2.1), each time
// to the next server and with a fresh ID, while earlier sends keep
// waiting so that a late answer is still taken. A server that answered
// with a failure (SERVFAIL, REFUSED, an ICMP error) gets no more sends;
// the next one is asked at once, and when none is left, nor any send
// pending, the lookup fails. It ends at the timeout or when ctx does.
func (c *Client) query(ctx context.Context, fqdn string, t uint16) (*dns.Msg, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	servers := c.nameservers()
	r := retrier{servers: servers, failed: make([]bool, len(servers)), replies: make(chan reply)}
	send := func() {
		if server, ok := r.next(); ok {
			r.pending++
			go func() {
				msg, err := c.exchange(ctx, server, fqdn, t)
				select {
				case r.replies <- reply{server, msg, err}:
				case <-ctx.Done():
				}
			}()
		}
	}
	send()
	wait := firstWait
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var last error
	for {
		select {
		case rep := <-r.replies:
			r.pending--
			if rep.err == nil {
				return rep.msg, rep.server, nil
			}
			last = rep.err
			if c.dnssec && rep.err == errRcode(dns.RcodeServerFailure) {
				// A validating resolver answers SERVFAIL for a bogus
				// answer (RFC 4035 §5.5): that is its verdict, not an
				// outage to route around, or another server's
				// unvalidated answer would turn DANE off (RFC 7672
				// §2.2: bogus answers are failures).
				return nil, "", last
			}
			r.fail(rep.server)
			if send(); r.pending == 0 {
				return nil, "", last
			}
		case <-timer.C:
			send()
			wait *= 2
			timer.Reset(wait)
		case <-ctx.Done():
			if last == nil {
				last = fmt.Errorf("no answer from %s: %w", strings.Join(servers, ", "), ctx.Err())
			}
			return nil, "", last
		}
	}
}

// retrier picks the server of each send in turn, skipping those that
// answered with a failure.
type retrier struct {
	servers []string
	failed  []bool
	turn    int
	pending int // sends without a reply yet
	replies chan reply
}

func (r *retrier) next() (string, bool) {
	for range len(r.servers) {
		i := r.turn % len(r.servers)
		r.turn++
		if !r.failed[i] {
			return r.servers[i], true
		}
	}
	return "", false
}

func (r *retrier) fail(server string) {
	for i, s := range r.servers {
		if s == server {
			r.failed[i] = true
		}
	}
}

// exchange sends one query to server over UDP, again over TCP when the
// answer was truncated (RFC 7766 §5); an RCODE other than NOERROR and
// NXDOMAIN is an error (RFC 2308 §7: SERVFAIL is no answer).
func (c *Client) exchange(ctx context.Context, server, fqdn string, t uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(fqdn, t) // a fresh random ID (RFC 5452 §9.2)
	q.RecursionDesired = true
	q.SetEdns0(1232, c.dnssec) // the DNS flag day 2020 buffer size
	if c.dnssec {
		// Ask for the AD bit (RFC 6840 §5.7); the DO bit too, which
		// older validating resolvers need before they set AD (RFC 3225
		// §3, RFC 4035 §3.2.3).
		q.AuthenticatedData = true
	}
	msg, err := exchangeOver(ctx, "udp", server, q)
	if err == nil && msg.Truncated {
		msg, err = exchangeOver(ctx, "tcp", server, q)
	}
	if err != nil {
		return nil, err
	}
	if msg.Rcode != dns.RcodeSuccess && msg.Rcode != dns.RcodeNameError {
		return nil, errRcode(msg.Rcode)
	}
	return msg, nil
}

// exchangeOver sends q and reads its reply until ctx ends; the socket is
// closed as soon as ctx is cancelled.
func exchangeOver(ctx context.Context, network, server string, q *dns.Msg) (*dns.Msg, error) {
	dc := &dns.Client{Net: network}
	if deadline, ok := ctx.Deadline(); ok {
		dc.Timeout = time.Until(deadline) // else miekg/dns stops reading at 2 s
	}
	conn, err := dc.DialContext(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, server, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer func() {
		if stop() {
			_ = conn.Close()
		}
	}()
	msg, _, err := dc.ExchangeWithConnContext(ctx, q, conn)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s %s: %w", network, server, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", network, server, err)
	case msg.Id != q.Id:
		return nil, fmt.Errorf("%s %s: reply ID mismatch", network, server)
	case !sameQuestion(msg, q):
		return nil, fmt.Errorf("%s %s: %w", network, server, errQuestion)
	}
	return msg, nil
}

// sameQuestion reports whether the reply is to the question asked (RFC
// 5452 §9.1: ID, and question name, type and class).
func sameQuestion(msg, q *dns.Msg) bool {
	if len(msg.Question) != 1 {
		return false
	}
	a, b := msg.Question[0], q.Question[0]
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && sameName(a.Name, b.Name)
}

// sameName compares two names in their wire form, ASCII letters in either
// case (RFC 4343 §3): the presentation forms may differ in escapes
// ("a@b." is sent as it is and comes back as "a\@b.").
func sameName(a, b string) bool {
	var bufA, bufB [256]byte
	na, errA := dns.PackDomainName(a, bufA[:], 0, nil, false)
	nb, errB := dns.PackDomainName(b, bufB[:], 0, nil, false)
	if errA != nil || errB != nil || na != nb {
		return false
	}
	for i := range na {
		if lower(bufA[i]) != lower(bufB[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
