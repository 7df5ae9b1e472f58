package dmarc

import (
	"context"
	"math/rand/v2"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Results of a DMARC evaluation (RFC 7489 §11.2, RFC 8601 §2.7).
const (
	Pass      = "pass"
	Fail      = "fail"
	None      = "none"
	TempError = "temperror"
	PermError = "permerror"
)

// Identifier is the result of one authentication check on an identifier
// that may align with the From domain: SPF for the MAIL FROM domain (the
// HELO domain when MAIL FROM was null, RFC 7208 §2.4), or one DKIM
// signature with its d= domain. Result is the check's lower-case keyword
// (RFC 8601 §2.7.1, §2.7.2); only "pass" authenticates, and "temperror"
// may hold the verdict back (see Evaluate).
type Identifier struct {
	Domain string
	Result string
}

// Input is what Evaluate needs about one message.
type Input struct {
	// From holds the domains of the RFC 5322.From addresses, one per
	// address (duplicates allowed), in any case, U-labels or A-labels.
	From []string
	// SPF is the SPF result of the MAIL FROM identity.
	SPF Identifier
	// DKIM holds one result per DKIM signature verified.
	DKIM []Identifier
}

// Result is the DMARC outcome for a message.
type Result struct {
	// Result is Pass, Fail, None, TempError or PermError.
	Result string
	// From is the From domain the result is for (header.from, RFC 7489
	// §11.2), in A-label form; with several From domains, the one with
	// the most severe outcome.
	From string
	// Policy is the disposition to apply: none, quarantine or reject. It
	// is none unless Result is Fail or TempError; for TempError it is the
	// disposition a failure would get (none when the record itself could
	// not be looked up).
	Policy Policy
	// Requested is the policy the record asks for From (p=, or sp= for a
	// subdomain of the record's domain), before pct sampling; "" without
	// a record.
	Requested Policy
	// PolicyDomain is where the record was found (the From domain or its
	// Organizational Domain); "" without a record.
	PolicyDomain string
	// SampledOut: the failure fell outside pct= and Policy was lowered
	// by one step (RFC 7489 §6.6.4).
	SampledOut bool
	// SPFAligned, DKIMAligned: an aligned pass of each kind was found.
	SPFAligned, DKIMAligned bool
	// TempCause says for TempError which lookup failed: "dmarc" (the
	// policy record), "spf" or "dkim" (an aligned check).
	TempCause string
	// Reason is a short, stable explanation.
	Reason string
}

// Config holds an Evaluator's dependencies.
type Config struct {
	// Resolver looks up policy records.
	Resolver Resolver
	// Sample returns a number in [0, 100); a failing message is in the
	// pct= sample when Sample() < pct. nil: math/rand/v2.
	Sample func() int
}

// Evaluator applies DMARC to messages.
type Evaluator struct {
	r      Resolver
	sample func() int
}

// New returns an Evaluator.
func New(c Config) *Evaluator {
	e := &Evaluator{r: c.Resolver, sample: c.Sample}
	if e.sample == nil {
		e.sample = func() int { return rand.IntN(100) }
	}
	return e
}

// Evaluate applies DMARC (RFC 7489 §6.6) to a message. Each distinct From
// domain is evaluated, and the most severe outcome is returned (§6.6.1:
// "apply the most strict policy selected among the checks that fail"):
// fail with reject, then temperror, then fail with quarantine, fail with
// none, permerror, none, and pass last. A message without a From domain
// is a permerror.
func (e *Evaluator) Evaluate(ctx context.Context, in Input) Result {
	if len(in.From) == 0 {
		return Result{Result: PermError, Policy: PolicyNone, Reason: "no From domain"}
	}
	var worst Result
	done := map[string]bool{}
	for i, raw := range in.From {
		from, err := mailaddr.CanonicalDomain(raw)
		if err != nil {
			from = raw
		}
		if done[from] {
			continue
		}
		done[from] = true
		var r Result
		if err != nil {
			r = Result{Result: PermError, From: from, Policy: PolicyNone, Reason: "invalid From domain"}
		} else {
			r = e.evaluate(ctx, from, in)
		}
		if i == 0 || severity(r) > severity(worst) {
			worst = r
		}
	}
	return worst
}

// severity orders outcomes for Evaluate.
func severity(r Result) int {
	switch r.Result {
	case TempError:
		return 5
	case Fail:
		switch r.Policy {
		case PolicyReject:
			return 6
		case PolicyQuarantine:
			return 4
		}
		return 3
	case PermError:
		return 2
	case None:
		return 1
	}
	return 0
}
