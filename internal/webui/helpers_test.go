package webui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/autoconfig"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	adminAddr, adminPassword = "admin@example.org", "admin-password-123"
	userAddr, userPassword   = "user@example.org", "user-password-456"
)

// clock is a settable time.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// countingLogins counts the password checks.
type countingLogins struct {
	Logins
	checks atomic.Int64
}

func (c *countingLogins) AuthenticatePassword(ctx context.Context, user, pw string) (store.Account, error) {
	c.checks.Add(1)
	return c.Logins.AuthenticatePassword(ctx, user, pw)
}

// fixture is the web UI on a new store, served over TLS on 127.0.0.1,
// with an admin account and a user account.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	st     *sqlite.Store
	acc    *accounts.Service
	dir    *ops.Directory
	queue  *queue.Service
	logs   *testkit.LogBuffer
	clock  *clock
	logins *countingLogins
	in     prometheus.Counter
	ui     *UI
	// scripts are the accounts' Sieve scripts the filters page edits.
	scripts *sievescripts.Scripts
}

// option changes the Deps of a fixture.
type option func(*Deps)

func newFixture(t *testing.T, guard authguard.Config, opts ...option) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: testkit.NewStore(t), logs: &testkit.LogBuffer{}, clock: &clock{}}
	f.clock.ns.Store(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC).UnixNano())
	f.acc = testkit.Accounts(f.st, accounts.Options{SubaddressSeparator: "+"})
	f.dir = ops.NewDirectory(f.acc, "")
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	f.queue = queue.New(queue.Config{}, queue.Deps{Store: f.st, Log: log})
	keys := ops.NewDKIM(f.st, f.dir, nil)
	dns := dnstest.Start(t)
	r := dnsr.NewClient([]string{dns.Addr}, ops.DNSQueryTimeout)
	listen := config.Listen{SMTP: []string{"192.0.2.10:25"}, IMAPS: []string{":993"}, Submissions: []string{":465"}}
	dnsOps := ops.NewDNS(dnsplan.Server{Hostname: "mail.example.org", Listen: listen}, r, keys, f.dir)
	if guard.AccountKey == nil {
		guard.AccountKey = func(user string) string { return f.acc.AccountKey(ctx, user) }
	}
	reg := prometheus.NewRegistry()
	f.in = prometheus.NewCounter(prometheus.CounterOpts{Name: "petrel_smtpd_messages_accepted_total", Help: "x"})
	reg.MustRegister(f.in, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "petrel_tls_certificate_expiry_days", Help: "x"},
		func() float64 { return 12.5 }))
	f.logins = &countingLogins{Logins: f.acc}
	f.scripts = sievescripts.New(f.st, sieve.Limits{})
	d := Deps{Directory: f.dir, Queue: ops.NewQueue(f.queue), DKIM: keys, DNS: dnsOps, Logins: f.logins,
		Guard: authguard.New(guard), Sessions: f.st, Setup: autoconfig.FromListen("mail.example.org", listen),
		Sampler: NewSampler(reg, time.Minute, f.clock.now), Now: f.clock.now, Log: log, SessionTTL: time.Hour, Scripts: f.scripts,
		Status: func(context.Context) Status { return Status{DiskFree: 5 << 30, StoreSize: 12 << 20} }}
	for _, o := range opts {
		o(&d)
	}
	f.ui = New(d)
	f.srv = httptest.NewTLSServer(f.ui)
	t.Cleanup(f.srv.Close)
	must(t, f.acc.AddDomain(ctx, "example.org"))
	_, err := f.acc.AddUser(ctx, adminAddr, adminPassword)
	must(t, err)
	must(t, f.acc.SetFlag(ctx, adminAddr, accounts.FlagAdmin, true))
	_, err = f.acc.AddUser(ctx, userAddr, userPassword)
	must(t, err)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is a client with its own cookies that does not follow
// redirects, and the CSRF token of the last page it saw.
type browser struct {
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *f.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{f: f, c: &c}
}

// page is one answer.
type page struct {
	status int
	header http.Header
	body   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.f.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return page{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) page {
	b.f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

// post sends form, with the last CSRF token seen when withCSRF.
func (b *browser) post(path string, form url.Values, withCSRF bool) page {
	b.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in at prefix and returns the answer of the login post.
func (b *browser) login(prefix, user, password string) page {
	b.f.t.Helper()
	if p := b.get(prefix + "login"); p.status != http.StatusOK {
		b.f.t.Fatalf("GET %slogin: %d", prefix, p.status)
	}
	return b.post(prefix+"login", url.Values{"username": {user}, "password": {password}}, true)
}

// mustLogin logs in and fails the test unless it worked.
func (b *browser) mustLogin(prefix, user, password string) {
	b.f.t.Helper()
	if p := b.login(prefix, user, password); p.status != http.StatusSeeOther || p.header.Get("Location") != prefix {
		b.f.t.Fatalf("login %s at %s: %d %s", user, prefix, p.status, p.body)
	}
	if p := b.get(prefix); p.status != http.StatusOK {
		b.f.t.Fatalf("GET %s after login: %d", prefix, p.status)
	}
}

// want fails the test unless p has status and contains every text.
func (b *browser) want(what string, p page, status int, texts ...string) page {
	b.f.t.Helper()
	if p.status != status {
		b.f.t.Errorf("%s: status %d, want %d; body %.400q", what, p.status, status, mainOf(p.body))
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			b.f.t.Errorf("%s: the page lacks %q; body %.600q", what, s, mainOf(p.body))
		}
	}
	return p
}

// enqueue queues a message of transaction msgID to someone@remote.example.
func (f *fixture) enqueue(msgID string) string {
	f.t.Helper()
	from, _ := mailaddr.Parse(adminAddr)
	to, _ := mailaddr.Parse("someone@remote.example")
	const body = "Subject: hi\r\n\r\nhello\r\n"
	id, err := f.queue.Enqueue(context.Background(), &envelope.Envelope{ID: msgID, From: from}, strings.NewReader(body), int64(len(body)),
		[]envelope.Recipient{{Addr: to}})
	must(f.t, err)
	return id
}

// mainOf is the main part of a page, for failure messages.
func mainOf(body string) string {
	if _, m, ok := strings.Cut(body, "<main>"); ok {
		return m
	}
	return body
}
