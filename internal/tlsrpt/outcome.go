package tlsrpt

import (
	"net/netip"
	"slices"
	"strings"
)

// Outcome is the result of one TLS session attempt of the SMTP client
// (the lead adapts smtpclient's TLSOutcome to it).
type Outcome struct {
	// PolicyType is "sts", "tlsa" or "no-policy-found" (RFC 8460 §4.3
	// policy-type).
	PolicyType string
	// PolicyDomain is the domain the policy is for: the recipient domain
	// (RFC 8460 §4.4 policy-domain). Reports go to its _smtp._tls record.
	PolicyDomain string
	// PolicyStrings is the policy as text: the lines of the MTA-STS
	// policy, or the TLSA records in presentation form (policy-string).
	PolicyStrings []string
	// MXHost is the MX host name the session was with
	// (receiving-mx-hostname).
	MXHost string
	// ResultType is "" for a successful session, else one of the RFC
	// 8460 §4.3 result types ("starttls-not-supported", ...).
	ResultType string
	// SendingIP and ReceivingIP are the session's addresses (zero when
	// unknown).
	SendingIP, ReceivingIP netip.Addr
	// Detail says more about a failure (failure-reason-code); never a
	// message body.
	Detail string
}

// Limits on what one node keeps of one day: past them, sessions are
// still counted in the summaries, but no new domains (maxDomains) or
// failure detail lines (maxDetails per policy) are kept; a domain's
// policies past maxPolicies (a signed zone rotating its TLSA records,
// say) are counted under the first of their type (else the last), and a policy's strings are cut
// to maxPolicyStrings lines of maxPolicyStringLen octets: what a remote
// domain publishes cannot grow the store's entries without bound.
const (
	maxDomains         = 10000
	maxDetails         = 100
	maxDetailLen       = 200
	maxPolicies        = 16
	maxPolicyStrings   = 32
	maxPolicyStringLen = 512
)

// dayData is what is known of one policy domain on one day: the stored
// form of a node's entry (JSON) and the input of a report.
type dayData struct {
	Policies []policyData `json:"policies"`
}

// policyData counts the sessions under one policy.
type policyData struct {
	Type     string        `json:"type"`
	Strings  []string      `json:"strings,omitempty"`
	Success  int64         `json:"success"`
	Failure  int64         `json:"failure"`
	Failures []failureData `json:"failures,omitempty"`
}

// failureData counts the failed sessions of one kind.
type failureData struct {
	Result      string `json:"result"`
	SendingIP   string `json:"sending_ip,omitempty"`
	MXHost      string `json:"mx_host,omitempty"`
	ReceivingIP string `json:"receiving_ip,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Count       int64  `json:"count"`
}

func (f failureData) sameKind(g failureData) bool {
	f.Count, g.Count = 0, 0
	return f == g
}

// add counts one outcome.
func (d *dayData) add(o Outcome) {
	p := d.policy(o.PolicyType, o.PolicyStrings)
	if o.ResultType == "" {
		p.Success++
		return
	}
	f := failureData{Result: o.ResultType, MXHost: strings.ToLower(strings.TrimSuffix(o.MXHost, ".")),
		Reason: truncate(strings.ToValidUTF8(o.Detail, "?"), maxDetailLen)}
	if o.SendingIP.IsValid() {
		f.SendingIP = o.SendingIP.Unmap().String()
	}
	if o.ReceivingIP.IsValid() {
		f.ReceivingIP = o.ReceivingIP.Unmap().String()
	}
	f.Count = 1
	p.addFailures([]failureData{f}, 1)
}

// policy returns the entry of one policy, created if need be.
func (d *dayData) policy(typ string, strs []string) *policyData {
	strs = boundStrings(strs)
	for i := range d.Policies {
		if p := &d.Policies[i]; p.Type == typ && slices.Equal(p.Strings, strs) {
			return p
		}
	}
	if len(d.Policies) >= maxPolicies {
		if i := slices.IndexFunc(d.Policies, func(p policyData) bool { return p.Type == typ }); i >= 0 {
			return &d.Policies[i]
		}
		return &d.Policies[len(d.Policies)-1]
	}
	d.Policies = append(d.Policies, policyData{Type: typ, Strings: strs})
	return &d.Policies[len(d.Policies)-1]
}

// boundStrings is a copy of strs within maxPolicyStrings lines of
// maxPolicyStringLen octets each.
func boundStrings(strs []string) []string {
	out := slices.Clone(strs[:min(len(strs), maxPolicyStrings)])
	for i, s := range out {
		out[i] = truncate(s, maxPolicyStringLen)
	}
	return out
}

// addFailures adds failure lines and the failed-session count n; lines
// past maxDetails are counted in the summary only.
func (p *policyData) addFailures(fs []failureData, n int64) {
	p.Failure += n
	for _, f := range fs {
		i := slices.IndexFunc(p.Failures, f.sameKind)
		switch {
		case i >= 0:
			p.Failures[i].Count += f.Count
		case len(p.Failures) < maxDetails:
			p.Failures = append(p.Failures, f)
		}
	}
}

// merge adds e's counts to d.
func (d *dayData) merge(e dayData) {
	for _, q := range e.Policies {
		p := d.policy(q.Type, q.Strings)
		p.Success += q.Success
		p.addFailures(q.Failures, q.Failure)
	}
}

func (d *dayData) empty() bool { return len(d.Policies) == 0 }

// truncate cuts s to at most n octets, dropping a character cut in two.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
