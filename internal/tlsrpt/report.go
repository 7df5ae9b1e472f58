package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Report is the JSON report of RFC 8460 §4.4, with the field names of
// the RFC.
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyResult `json:"policies"`
}

// DateRange is the time the report covers (RFC 3339 date-times, UTC).
type DateRange struct {
	Start time.Time `json:"start-datetime"`
	End   time.Time `json:"end-datetime"`
}

// PolicyResult is the sessions under one policy.
type PolicyResult struct {
	Policy         Policy          `json:"policy"`
	Summary        Summary         `json:"summary"`
	FailureDetails []FailureDetail `json:"failure-details,omitempty"`
}

// Policy describes the policy that applied (RFC 8460 §4.4). MXHost is a
// list, as in the RFC's example (§4.5) and what receivers parse.
type Policy struct {
	Type   string   `json:"policy-type"`
	String []string `json:"policy-string,omitempty"`
	Domain string   `json:"policy-domain"`
	MXHost []string `json:"mx-host,omitempty"`
}

// Summary counts the sessions under one policy.
type Summary struct {
	TotalSuccess int64 `json:"total-successful-session-count"`
	TotalFailure int64 `json:"total-failure-session-count"`
}

// FailureDetail counts the failed sessions of one kind (RFC 8460 §4.4).
type FailureDetail struct {
	ResultType          string `json:"result-type"`
	SendingMTAIP        string `json:"sending-mta-ip,omitempty"`
	ReceivingMXHostname string `json:"receiving-mx-hostname,omitempty"`
	ReceivingIP         string `json:"receiving-ip,omitempty"`
	FailedSessionCount  int64  `json:"failed-session-count"`
	FailureReasonCode   string `json:"failure-reason-code,omitempty"`
}

// reportInfo is what a report on one policy domain and day needs beyond
// the counts.
type reportInfo struct {
	org, contact, submitter string // submitter: our host name
	domain                  string // the policy domain
	day                     time.Time
	id                      string // report-id, also the Message-ID
	uniq                    string // the file name's unique-id (alphanumeric)
}

// build makes the JSON report of d: the day from 00:00:00 to 23:59:59
// UTC (RFC 8460 §4.1 asks for UTC days).
func (ri reportInfo) build(d dayData) Report {
	r := Report{OrganizationName: ri.org, ContactInfo: ri.contact, ReportID: ri.id,
		DateRange: DateRange{Start: ri.day, End: ri.day.Add(24*time.Hour - time.Second)}}
	for _, p := range d.Policies {
		pr := PolicyResult{Policy: Policy{Type: p.Type, String: p.Strings, Domain: ri.domain, MXHost: mxPatterns(p)},
			Summary: Summary{TotalSuccess: p.Success, TotalFailure: p.Failure}}
		for _, f := range p.Failures {
			pr.FailureDetails = append(pr.FailureDetails, FailureDetail{ResultType: f.Result, SendingMTAIP: f.SendingIP,
				ReceivingMXHostname: f.MXHost, ReceivingIP: f.ReceivingIP, FailedSessionCount: f.Count,
				FailureReasonCode: f.Reason})
		}
		r.Policies = append(r.Policies, pr)
	}
	return r
}

// mxPatterns are the "mx:" lines of an MTA-STS policy (RFC 8461 §3.2),
// the mx-host of an sts policy.
func mxPatterns(p policyData) []string {
	if p.Type != "sts" {
		return nil
	}
	var out []string
	for _, l := range p.Strings {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "mx" {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// filename is the report's file name (RFC 8460 §5.1): submitter "!"
// policy-domain "!" begin "!" end "!" unique-id ".json.gz", the times in
// seconds since the epoch.
func (ri reportInfo) filename() string {
	return fmt.Sprintf("%s!%s!%d!%d!%s.json.gz", ri.submitter, ri.domain, ri.day.Unix(),
		ri.day.Add(24*time.Hour-time.Second).Unix(), ri.uniq)
}

// gzipJSON is the report as gzip'd JSON (application/tlsrpt+gzip, RFC 8460
// §5.3).
func gzipJSON(r Report) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mail is the report message (RFC 8460 §5.3), CRLF, unsigned: the
// Subject "Report Domain: ... Submitter: ... Report-ID: <...>", the
// TLS-Report-Domain and TLS-Report-Submitter fields, and a
// multipart/report with report-type="tlsrpt" whose parts are a text for
// people and the gzip'd report as an attachment with its file name.
func (ri reportInfo) mail(from string, to []string, gz []byte, now time.Time) []byte {
	var b strings.Builder
	boundary := "tlsrpt-" + ri.uniq
	h := func(f string, a ...any) { fmt.Fprintf(&b, f+"\r\n", a...) }
	h("From: <%s>", from)
	h("To: %s", angleList(to))
	h("Subject: Report Domain: %s Submitter: %s Report-ID: <%s>", ri.domain, ri.submitter, ri.id)
	h("Date: %s", now.Format(time.RFC1123Z))
	h("Message-ID: <%s>", ri.id)
	h("TLS-Report-Domain: %s", ri.domain)
	h("TLS-Report-Submitter: %s", ri.submitter)
	h("TLS-Required: No") // RFC 8460 §5.3: delivered despite TLS failures
	h("Auto-Submitted: auto-generated")
	h("MIME-Version: 1.0")
	h("Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"%s\"", boundary)
	h("")
	h("This is a MIME-encapsulated message.")
	h("")
	h("--%s", boundary)
	h("Content-Type: text/plain; charset=us-ascii")
	h("")
	h("This is an aggregate TLS report (RFC 8460) from %s", ri.submitter)
	h("for the mail it sent to %s on %s (UTC).", ri.domain, ri.day.Format(time.DateOnly))
	h("")
	h("--%s", boundary)
	h("Content-Type: application/tlsrpt+gzip")
	h("Content-Transfer-Encoding: base64")
	h("Content-Disposition: attachment;\r\n\tfilename=\"%s\"", ri.filename())
	h("")
	enc := base64.StdEncoding.EncodeToString(gz)
	for len(enc) > 76 {
		h("%s", enc[:76])
		enc = enc[76:]
	}
	h("%s", enc)
	h("")
	h("--%s--", boundary)
	return []byte(b.String())
}

func angleList(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return strings.Join(out, ", ")
}
