// Package dmarc implements the receiving side of DMARC (RFC 7489): the
// policy record parser (§6.3, §6.4), the Organizational Domain (§3.2, on
// the public suffix list compiled into golang.org/x/net/publicsuffix; see
// PSLVersion), identifier alignment (§3.1), policy discovery (§6.6.3) and
// the evaluation of one message (§6.6), with pct= sampling (§6.6.4).
//
// Its inputs are the RFC 5322.From domains and the results of SPF (RFC
// 7208) and DKIM (RFC 6376) that the caller got from internal/spfcheck and
// internal/dkim; its output is a result keyword for Authentication-Results
// (RFC 8601 §2.7, RFC 7489 §11.2) with header.from, the policy to apply,
// and a short, stable reason. Writing the header field and acting on the
// policy (deliver, Junk, 550, 451) is the caller's job (internal/msgauth).
// Reports (rua=, ruf=) are parsed but not sent. The np= tag of DMARCbis
// is not implemented.
//
// Decisions where RFC 7489 leaves room, each tested:
//
//   - Several From addresses (§6.6.1): every distinct domain is evaluated
//     and the most severe outcome is returned (Evaluate).
//   - Temporary DNS failures give temperror, never a silent pass, when
//     they could hide a quarantine or a reject (see evaluate in policy.go).
//   - Several DMARC records at a name: no policy (result none, §6.6.3
//     step 5); a record without a valid p= and without a valid rua=:
//     permerror (§6.6.3 step 6: no DMARC processing).
package dmarc
