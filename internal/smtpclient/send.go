package smtpclient

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// attempt is where a session ended, for the results.
type attempt struct {
	hop    hop
	ip     netip.Addr
	tls    string
	policy string // session.policyOutcome, or tlsPolicy.outcome of a host skipped
	out    outcome
}

func (c *Client) send(ctx context.Context, domain string, m *Message) []Result {
	if len(m.Rcpts) == 0 {
		return nil
	}
	if bad := badEnvelope(m); bad != nil {
		return results(m, attempt{out: decided(len(m.Rcpts), bad)})
	}
	hops, fail := c.route(ctx, domain)
	if fail != nil {
		c.log.Info("delivery failed", append(slices.Clip(m.LogAttrs), "domain", domain, "reply", fail.Error())...)
		return results(m, attempt{out: decided(len(m.Rcpts), fail)})
	}
	var d *domainPolicy
	if hops[0].mx {
		d = c.domainPolicy(ctx, domain)
	}
	return results(m, c.tryHops(ctx, d, domain, hops, m))
}

// maxAddresses bounds the addresses tried for one message, so that a
// domain with many unreachable hosts cannot hold a delivery for long
// (Postfix's smtp_mx_address_limit is 5); maxHosts bounds the MX hosts
// looked up and logged for it, those whose lookup or policy failed
// included, so that a domain listing thousands of MX hosts costs no
// more DNS queries and log lines than ten.
const (
	maxAddresses = 10
	maxHosts     = 10
)

// tryHops tries each hop's addresses in turn until a session decides
// (RFC 5321 §5.1: try the next address or MX host when one does not
// answer). When none does, the last temporary failure is the result, or
// the last permanent one when every host refused permanently.
func (c *Client) tryHops(ctx context.Context, d *domainPolicy, domain string, hops []hop, m *Message) attempt {
	var lastTemp, lastPerm *attempt
	tried := 0
	for i, h := range hops {
		if ctx.Err() != nil || i == maxHosts || tried == maxAddresses {
			break
		}
		addrs, addrSecure, err := c.lookupIP(ctx, h.host)
		if err != nil {
			a := attempt{hop: h, out: retry(dnsFailure(h.host, "address", err), err)}
			c.logAttempt(domain, m, a, 0)
			keep(&lastTemp, &lastPerm, a)
			continue
		}
		pol, skip := c.hostPolicy(ctx, d, h, addrSecure, m)
		if skip != nil { // decided before connecting (policy.go)
			a := attempt{hop: h, policy: pol.outcome(), out: *skip}
			c.logAttempt(domain, m, a, 0)
			keep(&lastTemp, &lastPerm, a)
			continue
		}
		for _, ip := range addrs {
			if tried == maxAddresses {
				break
			}
			tried++
			a := c.tryAddr(ctx, domain, h, pol, ip, m)
			if !a.out.next {
				return a
			}
			keep(&lastTemp, &lastPerm, a)
			if ctx.Err() != nil {
				break
			}
		}
	}
	switch {
	case lastTemp != nil:
		return *lastTemp
	case lastPerm != nil:
		return *lastPerm
	}
	return attempt{out: decided(len(m.Rcpts), noAnswer(domain, netip.Addr{}, c.cfg.RemotePort))}
}

// keep remembers the last failure of each class.
func keep(temp, perm **attempt, a attempt) {
	if a.out.reply.Permanent() {
		*perm = &a
		return
	}
	*temp = &a
}

// tryAddr runs a session with one address, and again without TLS when
// the TLS handshake failed and TLS is not required.
func (c *Client) tryAddr(ctx context.Context, domain string, h hop, pol *tlsPolicy, ip netip.Addr, m *Message) attempt {
	a := c.session(ctx, domain, h, pol, ip, m, true)
	if a.out.tlsFailed {
		a = c.session(ctx, domain, h, pol, ip, m, false)
	}
	return a
}

func (c *Client) session(ctx context.Context, domain string, h hop, pol *tlsPolicy, ip netip.Addr, m *Message, useTLS bool) attempt {
	start := time.Now()
	s := &session{c: c, hop: h, pol: pol, ip: ip, m: m, useTLS: useTLS}
	out := s.run(ctx)
	if out.tlsFailed && (s.needTLS() || s.mustVerify()) {
		out.tlsFailed = false
	}
	if result, detail, ok := s.tlsResult(); ok {
		c.reportFor(pol, s, result, detail)
	}
	a := attempt{hop: h, ip: ip, tls: s.tls, policy: s.policyOutcome(), out: out}
	if !s.reached {
		a.ip = netip.Addr{}
		a.out.reply = noAnswerIfNil(a.out.reply, h, ip)
	}
	c.logAttempt(domain, m, a, time.Since(start))
	return a
}

func noAnswerIfNil(r *smtpreply.Reply, h hop, ip netip.Addr) *smtpreply.Reply {
	if r == nil {
		return noAnswer(h.host, ip, h.port)
	}
	return r
}

// badEnvelope refuses addresses that could not be written as a command
// line (RFC 3463 X.1.7 sender, X.1.3 recipient syntax).
func badEnvelope(m *Message) *smtpreply.Reply {
	if !safeArg(m.From) || !safeArg(m.EnvID) {
		return smtpreply.New(501, smtpreply.Enhanced{5, 1, 7}, "Bad sender address syntax")
	}
	for _, r := range m.Rcpts {
		if r.Addr == "" || !safeArg(r.Addr) || !safeArg(r.ORcpt) {
			return smtpreply.New(501, smtpreply.Enhanced{5, 1, 3}, "Bad recipient address syntax")
		}
	}
	return nil
}

// results turns the deciding attempt into one Result per recipient.
func results(m *Message, a attempt) []Result {
	out := make([]Result, len(m.Rcpts))
	for i, r := range m.Rcpts {
		reply := a.out.reply
		if a.out.per != nil {
			reply = a.out.per[i]
		}
		res := Result{Rcpt: r.Addr, Reply: reply, Permanent: reply.Permanent(), TLS: a.tls, TLSPolicy: a.policy}
		if a.ip.IsValid() {
			res.RemoteMTA, res.RemoteIP = a.hop.host, a.ip
		}
		out[i] = res
	}
	return out
}
