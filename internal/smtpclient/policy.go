package smtpclient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dane"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// STSLookup finds the MTA-STS policy of a recipient domain (RFC 8461 §3,
// with its cache, §5.1). A domain without a policy is the zero STSPolicy
// and a nil error; an error is a failed discovery or fetch with no cached
// policy to fall back on: the domain is then treated as without a policy
// (RFC 8461 §5) and the failure reported (an *STSError says its RFC 8460
// result type).
type STSLookup interface {
	Lookup(ctx context.Context, domain string) (STSPolicy, error)
}

// STSPolicy is the part of an MTA-STS policy (RFC 8461 §3.2) delivery
// needs: its mode (neither Enforce nor Testing: mode "none", no policy),
// whether an MX host matches its mx patterns (§4.1), and its id.
type STSPolicy struct {
	Enforce, Testing bool
	MatchMX          func(host string) bool
	ID               string
	// Strings are the policy's lines, for TLS reports (RFC 8460 §4.3
	// policy-string); nil reports its version and mode only.
	Strings []string
}

// STSError is a failed policy lookup with its TLS-RPT result type (RFC
// 8460 §4.3.2.2: "sts-policy-fetch-error", "sts-policy-invalid",
// "sts-webpki-invalid"); an error of STSLookup that is not one is
// reported as "sts-policy-fetch-error".
type STSError struct {
	ResultType string
	Err        error
}

func (e *STSError) Error() string { return e.ResultType + ": " + e.Err.Error() }
func (e *STSError) Unwrap() error { return e.Err }

// TLSOutcome is the outcome of one connection attempt, or of a policy
// lookup, for TLS reporting (RFC 8460 §4.3, §4.4): the policy applied, to
// which host, and the result ("" = success, else a result type of §4.3).
type TLSOutcome struct {
	PolicyType    string // "sts", "tlsa", "no-policy-found"
	PolicyDomain  string
	PolicyStrings []string // the TLSA records or the MTA-STS policy's lines
	MXHost        string
	ResultType    string
	SendingIP     netip.Addr
	ReceivingIP   netip.Addr
	Detail        string // for the failure-details' additional information
}

// Policy types and result types of RFC 8460 §4.3 this client reports.
const (
	policySTS  = "sts"
	policyTLSA = "tlsa"
	policyNone = "no-policy-found"

	resStartTLS      = "starttls-not-supported"
	resHostMismatch  = "certificate-host-mismatch"
	resExpired       = "certificate-expired"
	resNotTrusted    = "certificate-not-trusted"
	resValidation    = "validation-failure"
	resTLSAInvalid   = "tlsa-invalid"
	resDNSSECInvalid = "dnssec-invalid"
	resSTSFetch      = "sts-policy-fetch-error"
)

// domainPolicy is the MTA-STS policy of the recipient domain, looked up
// once per message.
type domainPolicy struct {
	domain string
	sts    STSPolicy // zero: none
}

// active reports a policy in mode enforce or testing.
func (d *domainPolicy) active() bool { return d != nil && (d.sts.Enforce || d.sts.Testing) }

// domainPolicy looks up the MTA-STS policy of domain; a failure is
// reported and the domain treated as without one (RFC 8461 §5).
func (c *Client) domainPolicy(ctx context.Context, domain string) *domainPolicy {
	d := &domainPolicy{domain: normDomain(domain)}
	if c.cfg.STS == nil {
		return d
	}
	p, err := c.cfg.STS.Lookup(ctx, d.domain)
	if err != nil {
		rt := resSTSFetch
		if se := (*STSError)(nil); errors.As(err, &se) && se.ResultType != "" {
			rt = se.ResultType
		}
		c.report(TLSOutcome{PolicyType: policySTS, PolicyDomain: d.domain, ResultType: rt, Detail: err.Error()})
		// RFC 8461 §5: without a valid policy, deliver as if there were
		// none; the operator is told why.
		c.log.Warn("mta-sts: no policy for the domain; delivering without it", "domain", d.domain, "result", rt, "err", err)
		return d
	}
	d.sts = p
	return d
}

// tlsPolicy is how TLS is used with one host of one message: DANE (RFC
// 7672) when the host has secure usable TLSA records, which takes
// precedence over MTA-STS (RFC 8461 §2), else the domain's MTA-STS
// policy, else opportunistic TLS; and what the message's REQUIRETLS
// asks (RFC 8689 §4.2.1).
type tlsPolicy struct {
	domain, host string
	mx           bool // delivery by MX: policies and reports apply
	typ          string
	tlsa         []dane.Record // usable TLSA records (DANE)
	strings      []string      // the policy as reported
	stsTesting   bool
	stsMatch     bool // the host matches the MTA-STS policy's mx patterns
	// tlsNeeded: no delivery without TLS; verify: the certificate is
	// checked (DANE with usable records, else the Web PKI for the host
	// name); enforce: a failed check fails the connection, else it is
	// only reported (MTA-STS testing, TLS-Required: No).
	tlsNeeded, verify, enforce bool
	// mxValidated: the host is a genuine MX host of the domain, by DNSSEC
	// or by the MTA-STS policy (RFC 8689 §4.2.1).
	mxValidated bool
	requireTLS  bool // the message carries REQUIRETLS
	// failed is the result type of a check made before connecting
	// (dnssec-invalid, an MX host outside the MTA-STS policy).
	failed string
}

// name is the policy for the log: "dane", "sts", "sts-testing", "none".
func (p *tlsPolicy) name() string {
	switch {
	case p == nil || p.typ == policyNone:
		return "none"
	case p.typ == policyTLSA:
		return "dane"
	case p.stsTesting:
		return "sts-testing"
	}
	return "sts"
}

// outcome is the policy and the result of its checks before connecting,
// for the log line of a host skipped then: "sts validation-failure".
func (p *tlsPolicy) outcome() string {
	if p.failed == "" {
		return p.name()
	}
	return p.name() + " " + p.failed
}

// key tells policies apart for the connection cache.
func (p *tlsPolicy) key() string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%s/%t/%t/%t/%x", p.name(), p.tlsNeeded, p.verify, p.enforce, p.strings)
}

// hostPolicy decides the policy for hop h, whose address records were
// secure or not. A non-nil outcome skips the host: its TLSA lookup
// failed (RFC 7672 §2.2), it is not in the enforced MTA-STS policy (RFC
// 8461 §4.1), or it cannot satisfy REQUIRETLS (RFC 8689 §4.2.1).
func (c *Client) hostPolicy(ctx context.Context, d *domainPolicy, h hop, addrSecure bool, m *Message) (*tlsPolicy, *outcome) {
	p := &tlsPolicy{host: h.host, mx: h.mx, typ: policyNone, mxValidated: h.mxSecure, requireTLS: m.RequireTLS}
	if d != nil {
		p.domain = d.domain
	}
	if !h.mx { // relay host or static route: configured, not looked up
		p.verify, p.enforce, p.tlsNeeded = m.RequireTLS, m.RequireTLS, m.RequireTLS
		return p, nil
	}
	if out := c.daneHost(ctx, p, h, addrSecure, m); out != nil {
		return p, out
	}
	if p.typ == policyNone && d.active() {
		stsHost(p, d, m)
		if !p.stsMatch {
			p.failed = resValidation
			c.reportFor(p, nil, p.failed, "MX host "+h.host+" does not match the MTA-STS policy")
			switch {
			case m.RequireTLS: // RFC 8689 §4.2.1: the policy as if enforced
				o := retry(requireTLSUnmet(h.host, "it is not an MX host of the MTA-STS policy of "+d.domain), nil)
				return p, &o
			case p.enforce:
				o := retry(stsMismatch(h.host, d.domain), nil)
				return p, &o
			}
		}
	}
	if m.RequireTLS && !p.canRequireTLS() {
		o := retry(requireTLSUnmet(h.host, p.requireTLSWhy()), nil)
		return p, &o
	}
	if m.RequireTLS && p.typ == policyNone { // a DNSSEC-validated MX: the Web PKI
		p.verify, p.enforce, p.tlsNeeded = true, true, true
	}
	return p, nil
}

// daneHost looks up the TLSA records of a host reached through secure
// MX and address records (RFC 7672 §2.2) and sets p to DANE when there
// are some. A failed lookup skips the host: a bogus or unavailable answer
// may be an attacker's (§2.2); no records, or no secure answer, leave p
// as it was.
func (c *Client) daneHost(ctx context.Context, p *tlsPolicy, h hop, addrSecure bool, m *Message) *outcome {
	if c.sec == nil || !c.sec.DNSSEC() || !h.mxSecure || !addrSecure {
		return nil
	}
	recs, secure, err := c.sec.LookupTLSA(ctx, h.port, h.host)
	switch {
	case err != nil && !dnsr.IsNotFound(err):
		p.typ = policyTLSA
		if ctx.Err() == nil { // not merely the delivery's time running out
			p.failed = resDNSSECInvalid
			c.reportFor(p, nil, p.failed, "TLSA lookup failed")
		}
		o := retry(tlsaFailure(h.host), err)
		return &o
	case err != nil || !secure || len(recs) == 0:
		return nil
	}
	p.typ, p.mxValidated = policyTLSA, true
	all := make([]dane.Record, len(recs))
	for i, r := range recs {
		all[i] = dane.Record(r)
		p.strings = append(p.strings, r.String())
	}
	p.tlsa = dane.Usable(all)
	// RFC 7672 §2.2: TLSA records, even none usable, oblige to TLS;
	// only usable ones authenticate (§3.1.3).
	p.tlsNeeded = !m.TLSOptional || m.RequireTLS
	p.verify, p.enforce = len(p.tlsa) > 0, p.tlsNeeded
	return nil
}

// stsHost applies the MTA-STS policy d to p: the host must match the
// policy's mx patterns (RFC 8461 §4.1) and present a certificate valid
// for its name (§4.2). A message with REQUIRETLS treats a policy in
// testing mode as enforced (RFC 8689 §4.2.1), one with TLS-Required: No
// treats an enforced one as testing (RFC 8689 §4.1).
func stsHost(p *tlsPolicy, d *domainPolicy, m *Message) {
	p.typ, p.stsTesting = policySTS, !d.sts.Enforce
	mode := "enforce"
	if p.stsTesting {
		mode = "testing"
	}
	p.strings = d.sts.Strings
	if len(p.strings) == 0 {
		p.strings = []string{"version: STSv1", "mode: " + mode}
	}
	p.stsMatch = d.sts.MatchMX != nil && d.sts.MatchMX(p.host)
	p.mxValidated = p.mxValidated || p.stsMatch
	p.verify = true
	p.enforce = (d.sts.Enforce && !m.TLSOptional) || m.RequireTLS
	p.tlsNeeded = p.enforce
}

// canRequireTLS: the host may take a REQUIRETLS message if it passes the
// checks in the session: its MX record is validated (DNSSEC or MTA-STS)
// and its certificate can be (RFC 8689 §4.2.1).
func (p *tlsPolicy) canRequireTLS() bool {
	if p.typ == policyTLSA {
		return len(p.tlsa) > 0
	}
	return p.mxValidated
}

func (p *tlsPolicy) requireTLSWhy() string {
	if p.typ == policyTLSA {
		return "its TLSA records are all unusable"
	}
	return "its MX record is neither DNSSEC-validated nor covered by an MTA-STS policy"
}

// resultType maps a failed certificate check to its RFC 8460 §4.3.2.1
// result type.
func resultType(err error) string {
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return resHostMismatch
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return resExpired
	case errors.Is(err, dane.ErrNoMatch), errors.Is(err, dane.ErrNoCertificate):
		return resValidation
	}
	return resNotTrusted
}

// stsMismatch: the MX host is not in the enforced MTA-STS policy (RFC
// 8461 §5.1: not delivered there; the queue retries, and bounces at its
// expiry).
func stsMismatch(host, domain string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 5}, "MX host %s is not allowed by the MTA-STS policy of %s", host, domain)
}

// tlsaFailure: the TLSA lookup of a host with secure address records
// failed (RFC 7672 §2.2: no delivery to it now).
func tlsaFailure(host string) *smtpreply.Reply {
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 5}, "TLSA lookup for %s failed; DANE requires its answer", host)
}

// requireTLSUnmet: the message carries REQUIRETLS and the host cannot
// satisfy it (RFC 8689 §4.2.1, §5: 5.7.10, permanent).
func requireTLSUnmet(host, why string) *smtpreply.Reply {
	return smtpreply.New(550, smtpreply.Enhanced{5, 7, 10}, "REQUIRETLS: message not relayed to %s: %s", host, why)
}

// requireTLSNotOffered: the host's TLS passed but it does not offer
// REQUIRETLS, so the demand cannot travel on (RFC 8689 §5: 5.7.30
// "REQUIRETLS support required", permanent).
func requireTLSNotOffered(host string) *smtpreply.Reply {
	return smtpreply.New(550, smtpreply.Enhanced{5, 7, 30}, "REQUIRETLS: message not relayed to %s: it does not support REQUIRETLS", host)
}

// describe says what a failed certificate check found, for a reply.
func describe(p *tlsPolicy, err error) string {
	switch resultType(err) {
	case resHostMismatch:
		return "certificate not valid for the host name"
	case resExpired:
		return "certificate expired"
	case resValidation:
		if p.typ == policyTLSA {
			return "certificate matches no TLSA record"
		}
		return "no valid certificate"
	}
	return "certificate not trusted"
}

// policyFailure: TLS with host failed what its policy requires (RFC 7672
// §2.2, RFC 8461 §5.1): deferred, never sent in plaintext.
func policyFailure(host string, p *tlsPolicy, what string) *smtpreply.Reply {
	by := map[string]string{"dane": "DANE (TLSA records)", "sts": "MTA-STS policy", "sts-testing": "MTA-STS policy",
		"none": "configuration"}[p.name()]
	if p.requireTLS && p.typ == policyNone {
		by = "REQUIRETLS"
	}
	return smtpreply.New(451, smtpreply.Enhanced{4, 7, 5}, "TLS with %s failed (%s), required by %s", host, what, by)
}
