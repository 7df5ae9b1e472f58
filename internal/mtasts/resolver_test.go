package mtasts

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// stsEnv is a resolver asking a dnstest server and a policy server, with
// its cache in a SQLite store and a clock the test moves.
type stsEnv struct {
	t     *testing.T
	ca    *testCA
	dns   *dnstest.Server
	https *policyServer
	kv    store.KV
	clock *testkit.Clock
	http  *http.Client // the resolvers' client
	r     *Resolver
}

func newSTSEnv(t *testing.T, record, policy string) *stsEnv {
	t.Helper()
	e := &stsEnv{t: t, ca: newCA(t), dns: dnstest.Start(t), clock: testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	e.https = startPolicyServer(t, e.ca, policyText(policy))
	e.http = e.https.client(e.ca.pool)
	if record != "" {
		e.dns.Add(t, `_mta-sts.example.org. TXT "`+record+`"`)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.kv = st
	e.r = e.resolver()
	return e
}

// resolver is a new resolver on the same DNS, policy host and cache (as
// another node, or after a restart, would be).
func (e *stsEnv) resolver() *Resolver {
	return NewResolver(Config{
		DNS:   dnsr.NewClient([]string{e.dns.Addr}, 2*time.Second),
		Fetch: Fetcher{Client: e.http, Timeout: 500 * time.Millisecond},
		Cache: e.kv, Now: e.clock.Now,
	})
}

// setRecord replaces the _mta-sts record ("" removes it).
func (e *stsEnv) setRecord(txt string) {
	e.dns.Remove("_mta-sts.example.org.")
	if txt != "" {
		e.dns.Add(e.t, `_mta-sts.example.org. TXT "`+txt+`"`)
	}
}

// lookup looks up example.org and checks the outcome: the mode and id of
// the policy (mode "" = none), the result type of the error ("" = none)
// and the number of fetches it made.
func (e *stsEnv) lookup(mode Mode, id, result string, fetches int32) Policy {
	e.t.Helper()
	e.http.CloseIdleConnections() // a new handshake: the test may have changed the certificate
	before := e.https.tries.Load()
	p, err := e.r.Lookup(context.Background(), "Example.ORG.")
	if p.Mode != mode || p.ID != id || ResultType(err) != result || (err != nil) != (result != "") {
		e.t.Errorf("Lookup = %+v, %v (result %q); want mode %q, id %q, result %q", p, err, ResultType(err), mode, id, result)
	}
	if n := e.https.tries.Load() - before; n != fetches {
		e.t.Errorf("%d fetches, want %d", n, fetches)
	}
	return p
}

func TestLookupGoodPolicy(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", enforceText)
	p := e.lookup(ModeEnforce, "one", "", 1)
	if !slices.Equal(p.MX, []string{"mail.example.org", "*.mx.example.org"}) || p.MaxAge != 24*time.Hour {
		t.Errorf("policy %+v", p)
	}
	if !p.MatchMX("mail.example.org.") || !p.MatchMX("mx1.mx.example.org") || p.MatchMX("mx.evil.example") {
		t.Error("the policy's MX patterns do not match as they should")
	}
	e.clock.Add(time.Hour)
	e.lookup(ModeEnforce, "one", "", 0) // cached
	// Another node (or a restart) reads the store's cache.
	e.r = e.resolver()
	e.https.serve(policyText("garbage"))
	e.lookup(ModeEnforce, "one", "", 0)
}

func TestLookupTestingMode(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=t1;", testingText)
	p := e.lookup(ModeTesting, "t1", "", 1)
	if p.MaxAge != time.Hour || !p.MatchMX("mail.example.org") {
		t.Errorf("policy %+v", p)
	}
}

func TestLookupNoPolicy(t *testing.T) {
	e := newSTSEnv(t, "", enforceText)
	e.lookup("", "", "", 0) // no record: no fetch
	e.setRecord("v=STSv1; id=")
	e.lookup("", "", "", 0) // an invalid record is none (§3.1)
	e.dns.Add(t, `_mta-sts.example.org. TXT "v=STSv1; id=a"`, `_mta-sts.example.org. TXT "v=STSv1; id=b"`)
	e.setRecord("")
	e.dns.Add(t, `_mta-sts.example.org. TXT "v=STSv1; id=a"`, `_mta-sts.example.org. TXT "v=STSv1; id=b"`)
	e.lookup("", "", "", 0) // two records: none (§3.1)
	if p, err := e.r.Lookup(context.Background(), "not a domain"); err != nil || p.Mode != "" {
		t.Errorf("Lookup of a bad name = %+v, %v", p, err)
	}
}

// A new id in the record fetches the policy again (§5.1); the same id
// does not, until half the max_age has passed.
func TestLookupIDChange(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", testingText)
	e.lookup(ModeTesting, "one", "", 1)
	e.https.serve(policyText(enforceText))
	e.clock.Add(time.Minute)
	e.lookup(ModeTesting, "one", "", 0)
	e.setRecord("v=STSv1; id=two")
	p := e.lookup(ModeEnforce, "two", "", 1)
	if p.MaxAge != 24*time.Hour {
		t.Errorf("policy %+v, want the new one", p)
	}
	e.lookup(ModeEnforce, "two", "", 0)
}

// A cached policy lives max_age: past half of it, it is fetched again,
// the old one kept if that fails; past all of it, it is gone.
func TestLookupMaxAge(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", testingText) // max_age 1h
	e.lookup(ModeTesting, "one", "", 1)
	e.clock.Add(29 * time.Minute)
	e.lookup(ModeTesting, "one", "", 0)
	e.clock.Add(2 * time.Minute) // past half: refreshed
	e.lookup(ModeTesting, "one", "", 1)
	e.https.serve(policyText("broken"))
	e.clock.Add(31 * time.Minute) // past half again: the refresh fails, the policy stays
	e.lookup(ModeTesting, "one", "", 1)
	e.clock.Add(30 * time.Minute) // past the max_age of the last good fetch: no policy
	e.lookup("", "", ResultPolicyInvalid, 1)
	e.https.serve(policyText(enforceText))
	e.clock.Add(DefaultRetryFailed)
	e.lookup(ModeEnforce, "one", "", 1)
}

// Every way a fetch fails keeps the cached policy (§5.1); without one,
// the lookup fails with the failure's result type, and the fetch is not
// tried again for RetryFailed.
func TestLookupFetchFailures(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", testingText)
	e.lookup(ModeTesting, "one", "", 1)
	for i, f := range fetchFailures(t, e.https) {
		t.Run(f.name, func(t *testing.T) {
			e.t = t
			defer f.use(e.https, e.ca, policyText(testingText))()
			e.setRecord("v=STSv1; id=new" + string(rune('a'+i)))
			e.lookup(ModeTesting, "one", "", 1)
			e.clock.Add(DefaultRetryFailed + time.Second)
		})
	}
	e.t = t
	// Without a cached policy.
	e.clock.Add(2 * time.Hour)
	for _, f := range fetchFailures(t, e.https) {
		t.Run(f.name+" without cache", func(t *testing.T) {
			e.t = t
			defer f.use(e.https, e.ca, policyText(testingText))()
			e.lookup("", "", f.result, 1)
			e.lookup("", "", f.result, 0) // not tried again yet
			e.clock.Add(DefaultRetryFailed)
			e.lookup("", "", f.result, 1)
			e.clock.Add(DefaultRetryFailed)
		})
	}
	e.t = t
	e.lookup(ModeTesting, "newi", "", 1) // the id set last
}

// A record that has gone, or that DNS cannot give, leaves the cached
// policy in force (§5.1); without one, a DNS failure is a fetch error.
func TestLookupRecordGoneOrFailing(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", enforceText)
	e.lookup(ModeEnforce, "one", "", 1)
	e.setRecord("")
	e.lookup(ModeEnforce, "one", "", 0)
	e.dns.ServFail("_mta-sts.example.org.")
	e.lookup(ModeEnforce, "one", "", 0)
	e.clock.Add(25 * time.Hour)
	e.lookup("", "", ResultFetchError, 0)
}

// Concurrent lookups of one domain fetch its policy once.
func TestLookupConcurrentFetchOnce(t *testing.T) {
	e := newSTSEnv(t, "v=STSv1; id=one", enforceText)
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			p, err := e.r.Lookup(context.Background(), "example.org")
			if err == nil && p.Mode != ModeEnforce {
				err = fmt.Errorf("policy %+v", p)
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := e.https.tries.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}
