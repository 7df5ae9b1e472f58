package webapi

import (
	"time"

	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/ops"
)

// DKIM keys.

type keyJSON struct {
	Domain    string    `json:"domain"`
	Selector  string    `json:"selector"`
	Algorithm string    `json:"algorithm"`
	Created   time.Time `json:"created"`
	Record    string    `json:"record"` // the DNS name of its TXT record
	TXT       string    `json:"txt"`
	Zone      string    `json:"zone"`
	Role      string    `json:"role,omitempty"` // signs, next, replaced
	From      time.Time `json:"from,omitzero"`  // next: when it takes over
	Replaces  string    `json:"replaces,omitempty"`
}

func keyOf(k ops.Key) keyJSON {
	return keyJSON{Domain: k.Domain, Selector: k.Selector, Algorithm: k.Algorithm, Created: k.Created,
		Record: k.Name, TXT: k.TXT, Zone: k.Zone}
}

// roleName names a key's role in a rotation.
func roleName(r dnsplan.KeyRole) string {
	switch r {
	case dnsplan.KeySigns:
		return "signs"
	case dnsplan.KeyNext:
		return "next"
	}
	return "replaced"
}

func errorTexts(errs []error) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, ops.Message(e))
	}
	return out
}

func listKeys(a *api, c *call) (reply, error) {
	domain, err := canonicalDomain(c.arg("domain"))
	if err != nil {
		return reply{}, err
	}
	ks, err := a.DKIM.List(c.ctx, domain)
	if err != nil {
		return reply{}, err
	}
	out := make([]keyJSON, 0, len(ks.Keys))
	for _, k := range ks.Keys {
		j := keyOf(k.Key)
		j.Role, j.From, j.Replaces = roleName(k.Role), k.From, k.Replaces
		out = append(out, j)
	}
	return ok(map[string]any{"keys": out, "skipped": errorTexts(ks.Skipped)})
}

func generateKey(a *api, c *call) (reply, error) {
	var in struct {
		Selector  string `json:"selector"`
		Algorithm string `json:"algorithm"`
	}
	if err := decodeOptional(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	g, err := a.DKIM.Generate(c.ctx, ops.GenerateRequest{Domain: c.arg("domain"), Selector: in.Selector, Algorithm: in.Algorithm})
	if err != nil {
		return reply{}, err
	}
	still := make([]keyJSON, 0, len(g.StillSigning))
	for _, k := range g.StillSigning {
		still = append(still, keyOf(k))
	}
	return created(map[string]any{"key": keyOf(g.Key), "local": g.Local, "still_signing": still,
		"takeover": g.Takeover, "want_rsa": g.WantRSA})
}

func removeKey(a *api, c *call) (reply, error) {
	domain, err := canonicalDomain(c.arg("domain"))
	if err != nil {
		return reply{}, err
	}
	return done(a.DKIM.Remove(c.ctx, domain, c.arg("selector")))
}

// DNS records.

type recordJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
	Note  string `json:"note,omitempty"`
}

// planJSON is a plan with its warnings.
func planJSON(p ops.Plan) map[string]any {
	warnings := errorTexts(p.SkippedKeys)
	if p.HostnameNotFQDN {
		warnings = append(warnings, "the configured hostname is not a fully qualified name")
	}
	if p.LocalErr != nil {
		warnings = append(warnings, "cannot tell whether the domain is local: "+ops.Message(p.LocalErr))
	} else if !p.Local {
		warnings = append(warnings, "the domain is not a local domain of this server")
	}
	if p.NoReports != "" {
		warnings = append(warnings, p.NoReports+" takes no mail, so the DMARC record asks for no reports")
	}
	out := map[string]any{"local": p.Local, "warnings": warnings}
	if p.Plan == nil {
		return out
	}
	recs := []recordJSON{}
	lines := p.Lines()
	for _, l := range lines {
		if l.Record != nil {
			recs = append(recs, recordJSON{Name: l.Record.Name, Type: l.Record.Type, Value: l.Record.Value, Note: l.Record.Note})
		}
	}
	out["domain"], out["host"], out["records"], out["zone"] = p.Domain, p.Host, recs, dnsplan.Render(lines)
	if len(p.SMTPOffPort25) > 0 {
		warnings = append(warnings, "listen.smtp is not on port 25: other servers deliver to the MX on port 25 only")
		out["warnings"] = warnings
	}
	return out
}

func dnsPlan(a *api, c *call) (reply, error) {
	p, err := a.DNS.Plan(c.ctx, c.arg("domain"), c.r.URL.Query().Get("dmarc_reports"))
	if err != nil {
		return reply{}, err
	}
	return ok(planJSON(p))
}

func dnsCheck(a *api, c *call) (reply, error) {
	ch, err := a.DNS.Check(c.ctx, c.arg("domain"), c.r.URL.Query().Get("dmarc_reports"))
	if err != nil {
		return reply{}, err
	}
	type resultJSON struct {
		Status string `json:"status"`
		Kind   string `json:"kind"`
		Name   string `json:"name"`
		Detail string `json:"detail"`
	}
	results := make([]resultJSON, 0, len(ch.Report.Results))
	for _, r := range ch.Report.Results {
		results = append(results, resultJSON{Status: string(r.Status), Kind: r.Kind, Name: r.Name, Detail: r.Detail})
	}
	out := planJSON(ch.Plan)
	out["results"], out["failed"] = results, ch.Report.Failed()
	return ok(out)
}

// canonicalDomain is the A-label form of a domain in a path; a bad one
// is a validation error about "domain".
func canonicalDomain(d string) (string, error) {
	c, err := mailaddr.CanonicalDomain(d)
	if err != nil {
		return "", invalidField("domain", "%v", err)
	}
	return c, nil
}
