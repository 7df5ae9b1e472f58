package tlsrpt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The rules of the RFC 8460 §4.4 report, written as checks: every field
// the RFC defines with its JSON type, which are required, the enumerations
// of policy-type and result-type (§4.3), and no field the RFC does not
// define. A report that breaks one is a schema error.

var resultTypes = map[string]bool{
	// §4.3.1 negotiation failures
	"starttls-not-supported": true, "certificate-host-mismatch": true, "certificate-expired": true,
	"certificate-not-trusted": true, "validation-failure": true,
	// §4.3.2 policy failures: DANE, MTA-STS
	"tlsa-invalid": true, "dnssec-invalid": true, "dane-required": true,
	"sts-policy-fetch-error": true, "sts-policy-invalid": true, "sts-webpki-invalid": true,
}

var policyTypes = map[string]bool{"tlsa": true, "sts": true, "no-policy-found": true}

// field is one member of a JSON object in the schema.
type field struct {
	required bool
	check    func(path string, v any) error
}

func str(path string, v any) error {
	if _, ok := v.(string); !ok {
		return fmt.Errorf("%s: %T, want a string", path, v)
	}
	return nil
}

func nonEmptyStr(path string, v any) error {
	if s, ok := v.(string); !ok || s == "" {
		return fmt.Errorf("%s: %#v, want a non-empty string", path, v)
	}
	return nil
}

func dateTime(path string, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: %T, want an RFC 3339 date-time string", path, v)
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("%s: %q is no RFC 3339 date-time", path, s)
	}
	return nil
}

func count(path string, v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("%s: %T, want an integer", path, v)
	}
	if i, err := n.Int64(); err != nil || i < 0 {
		return fmt.Errorf("%s: %s, want a non-negative integer", path, n)
	}
	return nil
}

func ipAddr(path string, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: %T, want an IP address string", path, v)
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return fmt.Errorf("%s: %q is no IP address", path, s)
	}
	return nil
}

func enum(set map[string]bool) func(string, any) error {
	return func(path string, v any) error {
		if s, ok := v.(string); !ok || !set[s] {
			return fmt.Errorf("%s: %#v is not one of the RFC's values", path, v)
		}
		return nil
	}
}

func arrayOf(each func(string, any) error) func(string, any) error {
	return func(path string, v any) error {
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array", path, v)
		}
		for i, e := range a {
			if err := each(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
		return nil
	}
}

func object(fields map[string]field) func(string, any) error {
	return func(path string, v any) error {
		o, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object", path, v)
		}
		for name, f := range fields {
			if _, ok := o[name]; !ok && f.required {
				return fmt.Errorf("%s: required %q missing", path, name)
			}
		}
		for name, val := range o {
			f, ok := fields[name]
			if !ok {
				return fmt.Errorf("%s: %q is not a field of RFC 8460 §4.4", path, name)
			}
			if err := f.check(path+"."+name, val); err != nil {
				return err
			}
		}
		return nil
	}
}

// reportSchema is RFC 8460 §4.4.
var reportSchema = object(map[string]field{
	"organization-name": {true, nonEmptyStr},
	"date-range": {true, object(map[string]field{
		"start-datetime": {true, dateTime},
		"end-datetime":   {true, dateTime},
	})},
	"contact-info": {true, nonEmptyStr},
	"report-id":    {true, nonEmptyStr},
	"policies": {true, arrayOf(object(map[string]field{
		"policy": {true, object(map[string]field{
			"policy-type":   {true, enum(policyTypes)},
			"policy-string": {false, arrayOf(str)},
			"policy-domain": {true, nonEmptyStr},
			"mx-host":       {false, arrayOf(nonEmptyStr)},
		})},
		"summary": {true, object(map[string]field{
			"total-successful-session-count": {true, count},
			"total-failure-session-count":    {true, count},
		})},
		"failure-details": {false, arrayOf(object(map[string]field{
			"result-type":            {true, enum(resultTypes)},
			"sending-mta-ip":         {false, ipAddr},
			"receiving-mx-hostname":  {false, nonEmptyStr},
			"receiving-mx-helo":      {false, nonEmptyStr},
			"receiving-ip":           {false, ipAddr},
			"failed-session-count":   {true, count},
			"additional-information": {false, nonEmptyStr},
			"failure-reason-code":    {false, nonEmptyStr},
		}))},
	}))},
})

// validateReport checks raw against reportSchema and the rules across
// fields: the date range is a UTC day, and the failure details of a
// policy add up to at most its failure count.
func validateReport(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if err := reportSchema("report", v); err != nil {
		return err
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.DateRange.Start.Location() != time.UTC ||
		r.DateRange.End.Sub(r.DateRange.Start) != 24*time.Hour-time.Second {
		return fmt.Errorf("date range %v to %v is not one UTC day", r.DateRange.Start, r.DateRange.End)
	}
	if len(r.Policies) == 0 {
		return fmt.Errorf("no policies")
	}
	for i, p := range r.Policies {
		var n int64
		for _, f := range p.FailureDetails {
			n += f.FailedSessionCount
		}
		if n > p.Summary.TotalFailure {
			return fmt.Errorf("policy %d: failure details count %d sessions, the summary %d", i, n, p.Summary.TotalFailure)
		}
	}
	return nil
}

// TestSchemaCatchesErrors: the checks refuse the mistakes they are there
// for (a test of the test).
func TestSchemaCatchesErrors(t *testing.T) {
	good := `{"organization-name":"o","date-range":{"start-datetime":"2026-12-05T00:00:00Z","end-datetime":"2026-12-05T23:59:59Z"},` +
		`"contact-info":"c","report-id":"r","policies":[{"policy":{"policy-type":"sts","policy-domain":"d"},` +
		`"summary":{"total-successful-session-count":1,"total-failure-session-count":1},` +
		`"failure-details":[{"result-type":"certificate-expired","failed-session-count":1}]}]}`
	if err := validateReport([]byte(good)); err != nil {
		t.Fatalf("a valid report refused: %v", err)
	}
	for _, bad := range [][2]string{
		{`"organization-name":"o",`, ``},
		{`"policy-type":"sts"`, `"policy-type":"mta-sts"`},
		{`"result-type":"certificate-expired"`, `"result-type":"expired"`},
		{`"total-successful-session-count":1`, `"total-successful-session-count":"1"`},
		{`"total-failure-session-count":1`, `"total-failure-session-count":1,"extra":1`},
		{`"failed-session-count":1`, `"failed_session_count":1`},
		{`"start-datetime":"2026-12-05T00:00:00Z"`, `"start-datetime":"2026-12-05"`},
		{`"total-failure-session-count":1`, `"total-failure-session-count":0`},
	} {
		if err := validateReport([]byte(strings.Replace(good, bad[0], bad[1], 1))); err == nil {
			t.Errorf("not refused: %s -> %s", bad[0], bad[1])
		}
	}
}
