package dnsr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// errRcode is the cause of a Temporary error from a server's RCODE.
type errRcode int

func (e errRcode) Error() string { return "server answered " + dns.RcodeToString[int(e)] }

// lookup returns the records of type t at name (following the CNAMEs the
// recursive server put in the answer), asking each server in turn until
// one gives an answer that is not a temporary failure.
func (c *Client) lookup(ctx context.Context, name string, t uint16) ([]dns.RR, error) {
	typ := dns.TypeToString[t]
	fqdn, ok := queryName(name)
	if !ok {
		return nil, &Error{Kind: NXDomain, Name: name, Type: typ, Err: errors.New("invalid name")}
	}
	var last error
	for _, server := range c.nameservers() {
		msg, err := c.exchange(ctx, server, fqdn, t)
		if err == nil {
			return answerOf(msg, name, typ, t)
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &Error{Kind: Temporary, Name: name, Type: typ, Err: last}
}

// queryName returns name as a lower-case FQDN, in A-label form (RFC 5890
// §2.3.2.1) when it has U-labels.
func queryName(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if !isASCII(name) {
		ascii, err := mailaddr.CanonicalDomain(name)
		if err != nil {
			return "", false
		}
		name = ascii
	}
	fqdn := dns.Fqdn(strings.ToLower(name))
	_, ok := dns.IsDomainName(fqdn)
	return fqdn, ok
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// answerOf turns a response into records or a kind of error.
func answerOf(msg *dns.Msg, name, typ string, t uint16) ([]dns.RR, error) {
	if msg.Rcode == dns.RcodeNameError {
		return nil, &Error{Kind: NXDomain, Name: name, Type: typ}
	}
	var rrs []dns.RR
	for _, rr := range msg.Answer {
		if rr.Header().Rrtype == t {
			rrs = append(rrs, rr)
		}
	}
	if len(rrs) == 0 {
		return nil, &Error{Kind: NoData, Name: name, Type: typ}
	}
	return rrs, nil
}

// exchange sends one query to server over UDP, again over TCP when the
// answer was truncated (RFC 7766 §5); an RCODE other than NOERROR and
// NXDOMAIN is an error (RFC 2308 §7: SERVFAIL is no answer).
func (c *Client) exchange(ctx context.Context, server, fqdn string, t uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(fqdn, t)
	q.RecursionDesired = true
	q.SetEdns0(1232, false) // the DNS flag day 2020 buffer size
	msg, err := c.exchangeOver(ctx, "udp", server, q)
	if err == nil && msg.Truncated {
		msg, err = c.exchangeOver(ctx, "tcp", server, q)
	}
	if err != nil {
		return nil, err
	}
	if msg.Rcode != dns.RcodeSuccess && msg.Rcode != dns.RcodeNameError {
		return nil, errRcode(msg.Rcode)
	}
	return msg, nil
}

func (c *Client) exchangeOver(ctx context.Context, network, server string, q *dns.Msg) (*dns.Msg, error) {
	dc := &dns.Client{Net: network, Timeout: c.timeout}
	msg, _, err := dc.ExchangeContext(ctx, q, server)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, server, err)
	}
	if msg.Id != q.Id {
		return nil, fmt.Errorf("%s %s: reply ID mismatch", network, server)
	}
	return msg, nil
}
