package msgauth

import (
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dmarc"
	"github.com/petrelmail/petrel/internal/spfcheck"
)

// resinfos returns the results to write, one per method and identity:
// SPF of MAIL FROM, SPF of HELO, one per DKIM signature (or dkim=none),
// and DMARC. A reason goes with every result but pass.
func (c *Checker) resinfos(in Input, v *Verdict) []resinfo {
	out := []resinfo{
		spfInfo(v.SPF, "mailfrom", in.MailFrom),
		spfInfo(v.HELO, "helo", in.Helo),
	}
	if len(v.DKIM) == 0 {
		// RFC 8601 §2.7.1: none, "the message was not signed".
		out = append(out, resinfo{method: "dkim", result: "none"})
	}
	for _, r := range v.DKIM {
		out = append(out, dkimInfo(r))
	}
	return append(out, dmarcInfo(v.DMARC, v.Action))
}

// spfInfo is an spf result (RFC 8601 §2.7.2) for identity "mailfrom" or
// "helo". The property is the checked sender (smtp.mailfrom: MAIL FROM,
// or postmaster@<HELO> for the null reverse-path, RFC 7208 §2.4) or HELO
// domain; when the identity could not be checked, what the client said.
func spfInfo(r spfcheck.Result, identity, said string) resinfo {
	value := r.Domain
	if identity == "mailfrom" {
		value = r.Sender
	}
	if value == "" {
		value = said
	}
	return resinfo{method: "spf", result: r.Result, reason: reasonFor(r.Result, r.Reason),
		props: []prop{{"smtp", identity, value}}}
}

// dkimInfo is a dkim result (RFC 8601 §2.7.1) with the signature's
// domain, selector and algorithm, and the first characters of its
// signature (RFC 6008 §4) to tell signatures of one domain apart.
func dkimInfo(r dkim.Result) resinfo {
	return resinfo{method: "dkim", result: r.Status, reason: reasonFor(r.Status, r.Reason),
		props: []prop{
			{"header", "d", r.Domain}, {"header", "s", r.Selector},
			{"header", "a", r.Algorithm}, {"header", "b", r.SigPrefix},
		}}
}

// dmarcInfo is the dmarc result (RFC 7489 §11.2) with the From domain;
// a comment gives the policy the record asks for (p=, or sp= for a
// subdomain) and the disposition applied (dis=), as receivers commonly
// write them.
func dmarcInfo(r dmarc.Result, act Action) resinfo {
	info := resinfo{method: "dmarc", result: r.Result, reason: reasonFor(r.Result, r.Reason),
		props: []prop{{"header", "from", r.From}}}
	if r.Requested != "" {
		info.comment = "p=" + string(r.Requested) + " dis=" + disposition(act)
	}
	return info
}

// disposition names what was done with the message (RFC 7489 §7.2.1.1
// PolicyOverride vocabulary: none, quarantine, reject).
func disposition(a Action) string {
	switch a {
	case Junk:
		return "quarantine"
	case Reject:
		return "reject"
	}
	return "none"
}

func reasonFor(result, reason string) string {
	if result == "pass" {
		return ""
	}
	return reason
}
