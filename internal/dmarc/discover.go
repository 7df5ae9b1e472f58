package dmarc

import (
	"context"
	"errors"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// Resolver is the DNS that policy discovery needs; dnsr.Resolver
// satisfies it. Errors are classified with dnsr.IsNotFound and
// dnsr.IsTemporary (anything else counts as temporary).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Discovery is the outcome of policy discovery for one From domain.
type Discovery struct {
	// Record is the policy record; nil unless Result is "".
	Record *Record
	// Domain is where Record was found: the From domain or its
	// Organizational Domain (then sp= applies to a subdomain).
	Domain string
	// Result is "" when a record was found, else None (no record, or
	// several), PermError (an unusable record) or TempError (a lookup
	// failed for now).
	Result string
	// Reason says why there is no record.
	Reason string
}

// Discover finds the DMARC policy for a From domain (RFC 7489 §6.6.3):
// the TXT records at _dmarc.<domain>, and when none of them is a DMARC
// record, those at _dmarc.<Organizational Domain>. TXT records that do not
// start with v=DMARC1 are discarded; several DMARC records at a name mean
// no policy (step 5, no fallback); a record without a usable policy is a
// permerror (step 6: no DMARC processing). A lookup that fails for now
// (SERVFAIL, timeout) is a temperror: the record might exist. domain is in
// lower-case A-label form.
func Discover(ctx context.Context, r Resolver, domain string) Discovery {
	d := discoverAt(ctx, r, domain)
	if org := OrgDomain(domain); d.Result == None && d.Reason == reasonNoRecord && org != domain {
		return discoverAt(ctx, r, org)
	}
	return d
}

const reasonNoRecord = "no DMARC record"

// discoverAt looks at _dmarc.<domain> only.
func discoverAt(ctx context.Context, r Resolver, domain string) Discovery {
	d := Discovery{Domain: domain}
	txts, err := r.LookupTXT(ctx, "_dmarc."+domain)
	switch {
	case dnsr.IsNotFound(err):
		txts = nil
	case err != nil:
		d.Result, d.Reason = TempError, "DMARC record lookup failed temporarily"
		return d
	}
	var recs []*Record
	var parseErr error
	for _, txt := range txts {
		rec, err := Parse(txt)
		if errors.Is(err, ErrNotDMARC) {
			continue
		}
		recs, parseErr = append(recs, rec), err
	}
	switch {
	case len(recs) == 0:
		d.Result, d.Reason = None, reasonNoRecord
	case len(recs) > 1:
		d.Result, d.Reason = None, "multiple DMARC records"
	case parseErr != nil:
		d.Result, d.Reason = PermError, "DMARC record has no valid policy"
	default:
		d.Record = recs[0]
	}
	return d
}
