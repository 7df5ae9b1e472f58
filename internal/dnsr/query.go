package dnsr

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Bounds of the time an answer is cached: a positive answer for the
// smallest TTL of its records up to maxTTL; a negative one (NXDOMAIN,
// NODATA) per RFC 2308 §5 up to maxNegativeTTL, short so that a record
// just published (a DKIM key, a DMARC policy) is seen soon.
const (
	maxTTL         = time.Hour
	maxNegativeTTL = 5 * time.Minute
)

// answer is the outcome of a lookup, as the cache keeps it.
type answer struct {
	rrs  []dns.RR // the records, when there are some
	kind Kind     // else why not
	err  error    // the cause of a Temporary kind
	ttl  time.Duration
	// secure: the server set the AD bit (RFC 4035 §3.2.3): it validated
	// the records, or the proof that there are none (RFC 6840 §5.7).
	secure bool
}

// result turns a into the records or the error for name and type typ.
func (a answer) result(name, typ string) ([]dns.RR, error) {
	if len(a.rrs) > 0 {
		return a.rrs, nil
	}
	return nil, &Error{Kind: a.kind, Name: name, Type: typ, Err: a.err}
}

// lookup returns the records of type t at name (following the CNAMEs the
// recursive server put in the answer), from the cache when the Client has
// one. The records are shared: callers must not change them.
func (c *Client) lookup(ctx context.Context, name string, t uint16) ([]dns.RR, error) {
	rrs, _, err := c.lookupSecure(ctx, name, t)
	return rrs, err
}

// lookupSecure is lookup that also says whether the answer (records or
// their absence) was validated: the AD bit of a server the operator
// trusts (Config.DNSSEC); always false without that setting (secure.go).
func (c *Client) lookupSecure(ctx context.Context, name string, t uint16) ([]dns.RR, bool, error) {
	typ := dns.TypeToString[t]
	fqdn, ok := queryName(name)
	if !ok {
		return nil, false, &Error{Kind: NXDomain, Name: name, Type: typ, Err: errors.New("invalid name")}
	}
	if err := ctx.Err(); err != nil {
		return nil, false, &Error{Kind: Temporary, Name: name, Type: typ, Err: err}
	}
	resolve := func(ctx context.Context) answer {
		msg, server, err := c.query(ctx, fqdn, t)
		if err != nil {
			return answer{kind: Temporary, err: err}
		}
		a := answerOf(msg, t)
		a.secure = a.secure && loopback(server) // secure.go
		return a
	}
	var a answer
	if c.cache == nil {
		a = resolve(ctx)
	} else {
		a = c.cache.get(ctx, cacheKey{fqdn, t}, resolve)
	}
	rrs, err := a.result(name, typ)
	return rrs, c.dnssec && a.secure && a.kind != Temporary, err
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

// answerOf turns a response into records or a kind of error, with the
// time it may be cached.
func answerOf(msg *dns.Msg, t uint16) answer {
	a := answer{secure: msg.AuthenticatedData}
	if msg.Rcode == dns.RcodeNameError {
		a.kind = NXDomain
	} else {
		for _, rr := range msg.Answer {
			if rr.Header().Rrtype == t {
				a.rrs = append(a.rrs, rr)
			}
		}
		a.kind = NoData
	}
	if len(a.rrs) > 0 {
		a.ttl = min(answerTTL(msg.Answer), maxTTL)
	} else {
		a.ttl = min(negativeTTL(msg.Ns), maxNegativeTTL)
	}
	return a
}

// answerTTL is the smallest TTL of the answer section: of the records
// asked for and of the CNAMEs that led to them.
func answerTTL(rrs []dns.RR) time.Duration {
	ttl := rrs[0].Header().Ttl
	for _, rr := range rrs[1:] {
		ttl = min(ttl, rr.Header().Ttl)
	}
	return seconds(ttl)
}

// negativeTTL is how long a negative answer may be cached: the SOA
// record's TTL or its MINIMUM field, whichever is less (RFC 2308 §5); 0,
// not cached, without an SOA record in the authority section.
func negativeTTL(ns []dns.RR) time.Duration {
	for _, rr := range ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return seconds(min(soa.Hdr.Ttl, soa.Minttl))
		}
	}
	return 0
}

// seconds converts a TTL; one with the high bit set is 0 (RFC 2181 §8).
func seconds(ttl uint32) time.Duration {
	if ttl > 1<<31-1 {
		return 0
	}
	return time.Duration(ttl) * time.Second
}
