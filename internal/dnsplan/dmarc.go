package dnsplan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/dmarc"
)

// checkDMARC: exactly one DMARC record (RFC 7489 §6.6.3), which receivers
// read as it is written.
func (c *checker) checkDMARC(ctx context.Context) {
	name := "_dmarc." + c.p.Domain
	want := strconv.Quote(DMARCRecord(c.p.DMARCReports))
	// RFC 7489 §6.6.3: with several records, receivers apply none.
	txt, ok := c.oneTXT(ctx, "DMARC", name, want, isDMARC, "so receivers apply none (RFC 7489 §6.6.3)")
	if !ok {
		return
	}
	rec, problem := dmarcProblem(txt)
	switch {
	case problem != "":
		c.report(StatusWrong, "DMARC", name, "%q: %s; want e.g. %s", txt, problem, want)
	case rec.Policy == dmarc.PolicyNone:
		c.report(StatusOK, "DMARC", name, "%q (p=none reports only: tighten to quarantine, then reject, once the reports are clean)", txt)
	default:
		c.report(StatusOK, "DMARC", name, "%q", txt)
	}
}

// isDMARC reports whether a TXT record starts with v=DMARC1; other records
// at _dmarc are discarded (RFC 7489 §6.6.3).
func isDMARC(txt string) bool {
	_, err := dmarc.Parse(txt)
	return !errors.Is(err, dmarc.ErrNotDMARC)
}

// dmarcProblem parses a DMARC record as receivers do (internal/dmarc) and
// says where that differs from what it says: no usable policy, or a tag
// that receivers ignore (RFC 7489 §6.3: invalid optional tags take their
// defaults; a missing or invalid p= with a valid rua= is p=none).
func dmarcProblem(txt string) (*dmarc.Record, string) {
	rec, err := dmarc.Parse(txt)
	if err != nil {
		return nil, "no valid p= policy, so receivers apply none (RFC 7489 §6.6.3)"
	}
	raw := map[string]string{} // the first value of each tag, as receivers take it
	for part := range strings.SplitSeq(txt, ";") {
		name, value, ok := strings.Cut(part, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if _, seen := raw[name]; ok && !seen {
			raw[name] = strings.TrimSpace(value)
		}
	}
	if _, ok := raw["p"]; !ok {
		return nil, "no p= tag, so receivers act as if it said p=none (RFC 7489 §6.6.3)"
	}
	read := map[string]string{"sp": string(rec.SubdomainPolicy), "p": string(rec.Policy),
		"adkim": string(rec.DKIM), "aspf": string(rec.SPF), "pct": strconv.Itoa(rec.Percent)}
	for _, tag := range []string{"sp", "p", "adkim", "aspf", "pct"} {
		v, ok := raw[tag]
		if n, err := strconv.Atoi(v); tag == "pct" && err == nil {
			v = strconv.Itoa(n) // "050" says 50
		}
		if ok && !strings.EqualFold(v, read[tag]) {
			return nil, fmt.Sprintf("%s=%s is not valid, so receivers read %q", tag, raw[tag], rec.String())
		}
	}
	for i, uris := range [][]dmarc.ReportURI{rec.AggregateURIs, rec.FailureURIs} {
		tag := []string{"rua", "ruf"}[i]
		if v, ok := raw[tag]; ok && len(strings.Split(v, ",")) != len(uris) {
			return nil, fmt.Sprintf("%s=%s holds a report address receivers cannot use (want mailto:ADDRESS)", tag, v)
		}
	}
	return rec, ""
}
