package dmarc

import (
	"context"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// evaluate applies DMARC for one From domain (RFC 7489 §6.6.2-§6.6.4).
//
// Temporary DNS failures never turn into a silent pass or a silent
// none when they could hide a quarantine or a reject (RFC 7489 §11.2:
// temperror, "a later attempt might produce a final result"):
//
//   - The policy lookup failed (RFC 7489 §6.6.3 could not complete): an
//     identifier that passes and is the From domain itself (aligned in
//     strict mode, so in any mode the record could ask for) is a pass;
//     anything else is TempError, as the record might exist and reject.
//   - The record is known, nothing passes aligned, and the policy after
//     pct sampling is quarantine or reject: if an SPF or DKIM check on an
//     identifier aligned under the record's modes returned temperror, the
//     outcome is TempError (that check might pass on a later attempt,
//     §4.2: a pass of either is a DMARC pass). With p=none the outcome is
//     a plain fail: nothing would be done to the message anyway.
func (e *Evaluator) evaluate(ctx context.Context, from string, in Input) Result {
	d := Discover(ctx, e.r, from)
	res := Result{From: from, Policy: PolicyNone}
	switch d.Result {
	case TempError:
		return lookupFailed(res, in, d)
	case None:
		res.Result, res.Reason = None, d.Reason
		return res
	case PermError:
		res.Result, res.Reason, res.PolicyDomain = PermError, d.Reason, d.Domain
		return res
	}
	rec := d.Record
	res.PolicyDomain = d.Domain
	// RFC 7489 §6.6.3: sp= applies when the record was found at the
	// Organizational Domain for a subdomain of it.
	res.Requested = rec.Policy
	if d.Domain != from && rec.SubdomainPolicy != "" {
		res.Requested = rec.SubdomainPolicy
	}
	// RFC 7489 §4.2: a pass of SPF or DKIM on an aligned identifier.
	res.SPFAligned = alignedResult(in.SPF, Pass, from, rec.SPF)
	res.DKIMAligned = anyAligned(in.DKIM, Pass, from, rec.DKIM)
	if res.SPFAligned || res.DKIMAligned {
		res.Result, res.Reason = Pass, passReason(res)
		return res
	}
	res.Policy = res.Requested
	// RFC 7489 §6.6.4: a failure outside the pct= sample gets the next
	// policy down (reject -> quarantine, quarantine -> none).
	if res.Policy != PolicyNone && rec.Percent < 100 && e.sample() >= rec.Percent {
		res.Policy, res.SampledOut = lower(res.Policy), true
	}
	if res.Policy != PolicyNone {
		spfTemp := alignedResult(in.SPF, TempError, from, rec.SPF)
		dkimTemp := anyAligned(in.DKIM, TempError, from, rec.DKIM)
		switch {
		case spfTemp:
			res.Result, res.TempCause, res.Reason = TempError, "spf", "aligned SPF check failed temporarily"
			return res
		case dkimTemp:
			res.Result, res.TempCause, res.Reason = TempError, "dkim", "aligned DKIM check failed temporarily"
			return res
		}
	}
	res.Result, res.Reason = Fail, "no aligned SPF or DKIM pass"
	if res.SampledOut {
		res.Reason += "; outside pct sample"
	}
	return res
}

// lookupFailed is the outcome when the policy lookup failed for now.
func lookupFailed(res Result, in Input, d Discovery) Result {
	res.SPFAligned = alignedResult(in.SPF, Pass, res.From, Strict)
	res.DKIMAligned = anyAligned(in.DKIM, Pass, res.From, Strict)
	if res.SPFAligned || res.DKIMAligned {
		res.Result, res.Reason = Pass, "strictly aligned pass; DMARC record lookup failed temporarily"
		return res
	}
	res.Result, res.TempCause, res.Reason = TempError, "dmarc", d.Reason
	return res
}

func passReason(r Result) string {
	switch {
	case r.SPFAligned && r.DKIMAligned:
		return "aligned SPF and DKIM pass"
	case r.SPFAligned:
		return "aligned SPF pass"
	}
	return "aligned DKIM pass"
}

// lower returns the next milder policy (RFC 7489 §6.6.4).
func lower(p Policy) Policy {
	if p == PolicyReject {
		return PolicyQuarantine
	}
	return PolicyNone
}

// alignedResult reports whether id has the given result and its domain
// is aligned with from in mode.
func alignedResult(id Identifier, result, from string, mode Alignment) bool {
	if !strings.EqualFold(id.Result, result) {
		return false
	}
	d, err := mailaddr.CanonicalDomain(id.Domain)
	return err == nil && Aligned(d, from, mode)
}

func anyAligned(ids []Identifier, result, from string, mode Alignment) bool {
	for _, id := range ids {
		if alignedResult(id, result, from, mode) {
			return true
		}
	}
	return false
}
