package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeDNS answers TXT lookups from a map; other names do not exist.
type fakeDNS map[string][]string

var errNX = errors.New("no such name")

func (d fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := d[name]; ok {
		return v, nil
	}
	return nil, errNX
}

// sender records the reports; while fail is set it fails instead.
type sender struct {
	mu    sync.Mutex
	mails []Mail
	fail  error
}

func (s *sender) SendReport(_ context.Context, m Mail) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.mails = append(s.mails, m)
	return nil
}

var day = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

var stsPolicy = []string{"version: STSv1", "mode: enforce", "mx: mx1.example.net", "mx: *.backup.example.net", "max_age: 86400"}

type env struct {
	st  *sqlite.Store
	clk *testkit.Clock
	dns fakeDNS
	snd *sender
}

func newEnv(t *testing.T) *env {
	return &env{st: testkit.NewStore(t), clk: testkit.NewClock(day.Add(9 * time.Hour)),
		dns: fakeDNS{"_smtp._tls.example.net.": {"v=TLSRPTv1; rua=mailto:tls-reports@example.net"}}, snd: &sender{}}
}

func (e *env) reporter(node string) *Reporter {
	return New(Config{Hostname: "mail.example.org", Node: node}, Deps{KV: e.st, Locks: e.st, DNS: e.dns, Sender: e.snd,
		IsNotFound: func(err error) bool { return errors.Is(err, errNX) }, Now: e.clk.Now})
}

var (
	ourIP  = netip.MustParseAddr("192.0.2.1")
	mx1IP  = netip.MustParseAddr("198.51.100.7")
	mx2IP6 = netip.MustParseAddr("2001:db8::25")
)

// recordMixedDay records a day's mixed outcomes for example.net on r:
// sts 3 successes, 2 expired certificates at mx1, 1 validation failure;
// tlsa 1 success, 1 tlsa-invalid. other.example (no TLS-RPT record) gets
// two sessions without a policy.
func recordMixedDay(r *Reporter) {
	sts := func(result string, ip netip.Addr, mx, detail string) Outcome {
		return Outcome{PolicyType: "sts", PolicyDomain: "Example.NET.", PolicyStrings: stsPolicy, MXHost: mx,
			ResultType: result, SendingIP: ourIP, ReceivingIP: ip, Detail: detail}
	}
	for range 3 {
		r.Record(sts("", mx1IP, "mx1.example.net", ""))
	}
	for range 2 {
		r.Record(sts("certificate-expired", mx1IP, "mx1.example.net.", "x509: certificate has expired"))
	}
	r.Record(sts("validation-failure", mx2IP6, "mx2.backup.example.net", "unknown authority"))
	tlsa := []string{"_25._tcp.mx3.example.net. IN TLSA 3 1 1 abcdef"}
	r.Record(Outcome{PolicyType: "tlsa", PolicyDomain: "example.net", PolicyStrings: tlsa, MXHost: "mx3.example.net"})
	r.Record(Outcome{PolicyType: "tlsa", PolicyDomain: "example.net", PolicyStrings: tlsa, MXHost: "mx3.example.net",
		ResultType: "tlsa-invalid", ReceivingIP: mx1IP})
	for range 2 {
		r.Record(Outcome{PolicyType: "no-policy-found", PolicyDomain: "other.example", MXHost: "mx.other.example"})
	}
	// Dropped: no domain, an unknown policy type.
	r.Record(Outcome{PolicyType: "sts"})
	r.Record(Outcome{PolicyType: "bogus", PolicyDomain: "example.net"})
}

// parsedReport is a report mail taken apart.
type parsedReport struct {
	header   mail.Header
	filename string
	json     []byte
	report   Report
}

// parseMail checks the RFC 8460 §5.3 structure of a report message and
// returns its parts.
func parseMail(t *testing.T, data []byte) parsedReport {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("report message has bare LF line ends")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("Content-Type %q: %s %v %v", msg.Header.Get("Content-Type"), mt, params, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var out parsedReport
	out.header = msg.Header
	parts := 0
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts++
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch parts {
		case 1:
			if ct != "text/plain" {
				t.Fatalf("first part %q, want text/plain", ct)
			}
		case 2:
			disp, dparams, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			if ct != "application/tlsrpt+gzip" || p.Header.Get("Content-Transfer-Encoding") != "base64" ||
				err != nil || disp != "attachment" {
				t.Fatalf("report part: %v", p.Header)
			}
			out.filename = dparams["filename"]
			zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, p))
			if err != nil {
				t.Fatalf("report part is not gzip'd base64: %v", err)
			}
			if out.json, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if parts != 2 {
		t.Fatalf("%d parts, want 2", parts)
	}
	if err := validateReport(out.json); err != nil {
		t.Fatalf("report does not validate against RFC 8460 §4.4: %v\n%s", err, out.json)
	}
	if err := json.Unmarshal(out.json, &out.report); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDailyReport: a day of mixed outcomes gives, once the day is over
// and not before, one report to the domain's rua whose JSON validates
// against RFC 8460 §4.4 and counts them right, in a §5.3 message; a
// domain without a TLS-RPT record gets none; a second run sends nothing.
func TestDailyReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.reporter("node-a")
	recordMixedDay(r)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(day.Add(24*time.Hour + 30*time.Minute)) // before SendAfter
	if err := r.SendDue(ctx); err != nil || len(e.snd.mails) != 0 {
		t.Fatalf("sent %d reports before the day's SendAfter (%v)", len(e.snd.mails), err)
	}
	e.clk.Set(day.Add(25*time.Hour + time.Minute))
	if err := r.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(e.snd.mails) != 1 {
		t.Fatalf("%d reports, want 1 (example.net only)", len(e.snd.mails))
	}
	m := e.snd.mails[0]
	if m.From != "tlsrpt-noreply@mail.example.org" || len(m.To) != 1 || m.To[0] != "tls-reports@example.net" {
		t.Fatalf("report from %s to %v", m.From, m.To)
	}
	p := parseMail(t, m.Data)
	rep := p.report
	subj := regexp.MustCompile(`^Report Domain: example\.net Submitter: mail\.example\.org Report-ID: <([^>]+)>$`)
	sm := subj.FindStringSubmatch(p.header.Get("Subject"))
	if sm == nil || sm[1] != rep.ReportID || p.header.Get("Message-Id") != "<"+rep.ReportID+">" {
		t.Errorf("Subject %q, Message-ID %q, report-id %q", p.header.Get("Subject"), p.header.Get("Message-Id"), rep.ReportID)
	}
	for k, want := range map[string]string{"TLS-Report-Domain": "example.net", "TLS-Report-Submitter": "mail.example.org",
		"TLS-Required": "No", "From": "<tlsrpt-noreply@mail.example.org>", "To": "<tls-reports@example.net>"} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	fn := regexp.MustCompile(`^mail\.example\.org!example\.net!(\d+)!(\d+)!([A-Za-z0-9]+)\.json\.gz$`).FindStringSubmatch(p.filename)
	if fn == nil || fn[1] != strconv.FormatInt(day.Unix(), 10) || fn[2] != strconv.FormatInt(day.Add(24*time.Hour-time.Second).Unix(), 10) {
		t.Errorf("file name %q", p.filename)
	}
	if rep.OrganizationName != "mail.example.org" || rep.ContactInfo == "" || !rep.DateRange.Start.Equal(day) {
		t.Errorf("report head %+v", rep)
	}
	if len(rep.Policies) != 2 {
		t.Fatalf("%d policies, want sts and tlsa:\n%s", len(rep.Policies), p.json)
	}
	sts, tlsa := rep.Policies[0], rep.Policies[1]
	if sts.Policy.Type != "sts" || sts.Policy.Domain != "example.net" || len(sts.Policy.String) != 5 ||
		strings.Join(sts.Policy.MXHost, ",") != "mx1.example.net,*.backup.example.net" ||
		sts.Summary != (Summary{TotalSuccess: 3, TotalFailure: 3}) || len(sts.FailureDetails) != 2 {
		t.Errorf("sts policy %+v", sts)
	}
	want := FailureDetail{ResultType: "certificate-expired", SendingMTAIP: "192.0.2.1", ReceivingMXHostname: "mx1.example.net",
		ReceivingIP: "198.51.100.7", FailedSessionCount: 2, FailureReasonCode: "x509: certificate has expired"}
	if sts.FailureDetails[0] != want || sts.FailureDetails[1].ReceivingIP != "2001:db8::25" {
		t.Errorf("sts failures %+v", sts.FailureDetails)
	}
	if tlsa.Policy.Type != "tlsa" || tlsa.Summary != (Summary{TotalSuccess: 1, TotalFailure: 1}) ||
		len(tlsa.FailureDetails) != 1 || tlsa.FailureDetails[0].ResultType != "tlsa-invalid" || tlsa.Policy.MXHost != nil {
		t.Errorf("tlsa policy %+v", tlsa)
	}
	// Sent once: the entries are gone, and a mark stops a second report.
	if err := r.SendDue(ctx); err != nil || len(e.snd.mails) != 1 {
		t.Fatalf("second run: %d reports, %v", len(e.snd.mails), err)
	}
	if infos, _ := e.st.KVList(ctx, dayPrefix); len(infos) != 0 {
		t.Errorf("entries left after the reports: %v", infos)
	}
}

// TestNodesMerged: two nodes that record outcomes for the same domain and
// day give one report, with both nodes' counts, sent once although both
// nodes run the daily job.
func TestNodesMerged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Node names as serve makes them (obs.ProcessName: host/pid/random).
	a, b := e.reporter("mx1/4711/abcdefgh"), e.reporter("mx2/815/ijklmnop")
	recordMixedDay(a)
	recordMixedDay(b)
	// Node b flushes twice: the entry adds up.
	b.Record(Outcome{PolicyType: "sts", PolicyDomain: "example.net", PolicyStrings: stsPolicy})
	for _, r := range []*Reporter{a, b, b} {
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	b.Record(Outcome{PolicyType: "sts", PolicyDomain: "example.net", PolicyStrings: stsPolicy})
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if infos, _ := e.st.KVList(ctx, dayPrefix+"2026-12-05/example.net/"); len(infos) != 2 {
		t.Fatalf("%d entries for example.net, want one per node", len(infos))
	}
	e.clk.Set(day.Add(26 * time.Hour))
	var wg sync.WaitGroup
	for _, r := range []*Reporter{a, b} {
		wg.Go(func() {
			if err := r.SendDue(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, r := range []*Reporter{b, a} {
		if err := r.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.snd.mails) != 1 {
		t.Fatalf("%d reports, want 1", len(e.snd.mails))
	}
	rep := parseMail(t, e.snd.mails[0].Data).report
	sts := rep.Policies[0]
	if sts.Summary != (Summary{TotalSuccess: 8, TotalFailure: 6}) || sts.FailureDetails[0].FailedSessionCount != 4 {
		t.Errorf("merged sts policy %+v", sts)
	}
	if tlsa := rep.Policies[1]; tlsa.Summary != (Summary{TotalSuccess: 2, TotalFailure: 2}) {
		t.Errorf("merged tlsa policy %+v", tlsa)
	}
	// A node that flushes late for the day sent does not bring it back.
	a.Record(Outcome{PolicyType: "sts", PolicyDomain: "example.net", PolicyStrings: stsPolicy})
	e.clk.Set(day.Add(23 * time.Hour)) // the outcome is counted on the sent day
	a.Record(Outcome{PolicyType: "sts", PolicyDomain: "example.net", PolicyStrings: stsPolicy})
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if infos, _ := e.st.KVList(ctx, dayPrefix+"2026-12-05/"); len(infos) != 0 {
		t.Errorf("a straggler for a sent day was stored: %v", infos)
	}
}

// TestSendRetried: a report the Sender failed on, or whose domain's DNS
// failed, is sent at a later run; after a week it is dropped.
func TestSendRetried(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.reporter("node-a")
	r.Record(Outcome{PolicyType: "sts", PolicyDomain: "example.net", PolicyStrings: stsPolicy})
	r.Record(Outcome{PolicyType: "sts", PolicyDomain: "down.example", PolicyStrings: stsPolicy})
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// down.example's lookups fail (not a missing name: a failure).
	r.d.IsNotFound = func(err error) bool { return false }
	e.clk.Set(day.Add(26 * time.Hour))
	e.snd.fail = errors.New("queue unavailable")
	if err := r.SendDue(ctx); err == nil {
		t.Fatal("a failed send reported no error")
	}
	e.snd.fail = nil
	if err := r.SendDue(ctx); err == nil || len(e.snd.mails) != 1 || e.snd.mails[0].PolicyDomain != "example.net" {
		t.Fatalf("retry: %d reports, %v; want example.net's, and an error for down.example", len(e.snd.mails), err)
	}
	if infos, _ := e.st.KVList(ctx, dayPrefix); len(infos) != 1 {
		t.Fatalf("entries %v, want down.example's kept for a retry", infos)
	}
	e.clk.Set(day.Add(keepSent + 25*time.Hour))
	if err := r.SendDue(ctx); err != nil || len(e.snd.mails) != 1 {
		t.Fatalf("after a week: %d reports, %v", len(e.snd.mails), err)
	}
	if infos, _ := e.st.KVList(ctx, "tlsrpt/"); len(infos) != 0 {
		t.Fatalf("entries and marks left after a week: %v", infos)
	}
}

// TestRunFlushesAtEnd: Run flushes the counts when its context ends, so
// that a node stopping keeps what it counted.
func TestRunFlushesAtEnd(t *testing.T) {
	e := newEnv(t)
	r := e.reporter("node-a")
	r.Record(Outcome{PolicyType: "no-policy-found", PolicyDomain: "example.net"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	d, err := r.load(context.Background(), dayPrefix+"2026-12-05/example.net/node-a")
	if err != nil || len(d.Policies) != 1 || d.Policies[0].Success != 1 {
		t.Fatalf("entry after Run: %+v, %v", d, err)
	}
}

// A domain whose policy changes all day (rotating TLSA records) keeps at
// most maxPolicies entries with bounded strings; every session is still
// counted.
func TestPoliciesBounded(t *testing.T) {
	var d dayData
	long := strings.Repeat("x", 5000)
	for i := range 100 {
		strs := []string{fmt.Sprintf("3 1 1 %064x", i), long}
		for range 40 {
			strs = append(strs, "extra")
		}
		d.add(Outcome{PolicyType: "tlsa", PolicyDomain: "example.net", PolicyStrings: strs})
	}
	if len(d.Policies) != maxPolicies {
		t.Fatalf("%d policies kept, want %d", len(d.Policies), maxPolicies)
	}
	var total int64
	for _, p := range d.Policies {
		total += p.Success
		if len(p.Strings) > maxPolicyStrings || len(p.Strings[1]) > maxPolicyStringLen {
			t.Fatalf("policy strings not bounded: %d lines, %d octets", len(p.Strings), len(p.Strings[1]))
		}
	}
	if total != 100 {
		t.Errorf("%d sessions counted, want 100", total)
	}
}
