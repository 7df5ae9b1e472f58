package queue

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpclient"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// sender answers every recipient with the reply set for it (default 250).
type sender struct {
	mu      sync.Mutex
	replies map[string]*smtpreply.Reply
	calls   []string // "domain:rcpt,rcpt"
	bodies  []string
	msgs    []smtpclient.Message // as handed over, Body and LogAttrs left out
}

func (s *sender) Send(ctx context.Context, domain string, m *smtpclient.Message) []smtpclient.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	var out []smtpclient.Result
	for _, r := range m.Rcpts {
		names = append(names, r.Addr)
		rep := s.replies[r.Addr]
		if rep == nil {
			rep = smtpreply.OK("queued")
		}
		out = append(out, smtpclient.Result{Rcpt: r.Addr, Reply: rep, RemoteMTA: "mx." + domain, TLS: "TLS1.3", TLSPolicy: "sts ok"})
	}
	body, _ := m.Body()
	data, _ := io.ReadAll(body)
	body.Close()
	s.bodies = append(s.bodies, string(data))
	mc := *m
	mc.Body, mc.LogAttrs = nil, nil
	s.msgs = append(s.msgs, mc)
	s.calls = append(s.calls, domain+":"+strings.Join(names, ","))
	return out
}

type fixture struct {
	t     *testing.T
	st    *sqlite.Store
	clk   *testkit.Clock
	snd   *sender
	svc   *Service
	local map[string][]string // reports delivered locally, by address
	// localIDs are the msg_ids the local reports were delivered as.
	localIDs []string
	ctx      context.Context
	logs     *testkit.LogBuffer // JSON, every level
}

func newFixture(t *testing.T) *fixture {
	st := testkit.NewStore(t)
	f := &fixture{t: t, st: st, clk: testkit.NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)),
		snd: &sender{replies: map[string]*smtpreply.Reply{}}, local: map[string][]string{}, ctx: context.Background(),
		logs: &testkit.LogBuffer{}}
	cfg := Config{Hostname: "mail.example.org", Retry: []time.Duration{5 * time.Minute, time.Hour},
		MaxQueueTime: 3 * time.Hour, DelayWarning: 90 * time.Minute, MaxActive: 4, MaxPerDomain: 2}
	f.svc = New(cfg, Deps{Store: st, Sender: f.snd, Now: f.clk.Now, Log: testkit.JSONLogger(f.logs),
		Local: func(ctx context.Context, msgID string, rcpt mailaddr.Address, msg []byte) (bool, error) {
			if rcpt.Domain != "example.org" {
				return false, nil
			}
			f.localIDs = append(f.localIDs, msgID)
			f.local[rcpt.String()] = append(f.local[rcpt.String()], string(msg))
			return true, nil
		}})
	return f
}

func (f *fixture) enqueue(from string, notify []string, rcpts ...string) string {
	f.t.Helper()
	m := &envelope.Envelope{ID: "smtp1", Ret: "HDRS", EnvID: "env-1"}
	if from != "" {
		m.From, _ = mailaddr.Parse(from)
	}
	var rs []envelope.Recipient
	for _, r := range rcpts {
		a, err := mailaddr.Parse(r)
		if err != nil {
			f.t.Fatal(err)
		}
		rs = append(rs, envelope.Recipient{Addr: a, Notify: notify, ORcpt: "rfc822;" + r})
	}
	id, err := f.svc.Enqueue(f.ctx, m, strings.NewReader(testMsg), int64(len(testMsg)), rs)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

const testMsg = "From: alice@example.org\r\nTo: bob@remote.example\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nbody text\r\n"

// step runs one pass of the runner: every due message is tried once.
func (f *fixture) step() {
	r := newRunner(f.svc)
	r.fill(f.ctx)
	r.drain()
}

func (f *fixture) states(id string) string {
	f.t.Helper()
	m, err := f.st.QueuedMessage(f.ctx, id)
	if store.IsKind(err, store.KindNotFound) {
		return "gone"
	}
	if err != nil {
		f.t.Fatal(err)
	}
	var s []string
	for _, r := range m.Rcpts {
		s = append(s, r.State.String())
	}
	return strings.Join(s, ",")
}

func TestDeliverGroupsByDomain(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue("alice@example.org", nil, "bob@remote.example", "carol@remote.example", "dave@other.example")
	f.step()
	if got := f.states(id); got != "gone" {
		t.Fatalf("after delivery: %s", got)
	}
	if len(f.snd.calls) != 2 || f.snd.bodies[0] != testMsg {
		t.Fatalf("calls %v", f.snd.calls)
	}
	if len(f.local) != 0 {
		t.Fatalf("unexpected reports %v", f.local)
	}
}

func TestRetryScheduleThenBounce(t *testing.T) {
	f := newFixture(t)
	f.snd.replies["bob@remote.example"] = smtpreply.New(451, smtpreply.Enhanced{4, 7, 1}, "try later")
	id := f.enqueue("alice@example.org", nil, "bob@remote.example", "carol@remote.example")
	f.step()
	if got := f.states(id); got != "deferred,delivered" {
		t.Fatalf("after first attempt: %s", got)
	}
	f.clk.Add(4 * time.Minute)
	f.step()
	if len(f.snd.calls) != 1 {
		t.Fatalf("retried before the schedule: %v", f.snd.calls)
	}
	f.clk.Add(time.Minute) // 5m: second attempt, next in 1h
	f.step()
	if len(f.snd.calls) != 2 {
		t.Fatalf("not retried on schedule: %v", f.snd.calls)
	}
	f.clk.Add(time.Hour) // 1h05: third attempt
	f.step()
	f.clk.Add(time.Hour) // 2h05: fourth; the delay warning is due (90m)
	f.step()
	if n := len(f.local["alice@example.org"]); n != 1 || !strings.Contains(f.local["alice@example.org"][0], "Action: delayed") {
		t.Fatalf("want one delay warning, got %d", n)
	}
	f.clk.Add(time.Hour) // 3h05: past max_queue_time, retried at expiry and bounced
	f.step()
	if got := f.states(id); got != "gone" {
		t.Fatalf("after expiry: %s", got)
	}
	reports := f.local["alice@example.org"]
	if len(reports) != 2 || !strings.Contains(reports[1], "Action: failed") || !strings.Contains(reports[1], "Status: 5.7.1") {
		t.Fatalf("want a bounce after the warning, got %d reports: %q", len(reports), reports)
	}
	if len(f.snd.calls) != 5 {
		t.Fatalf("attempts %v", f.snd.calls)
	}
}

func TestPermanentFailureBounce(t *testing.T) {
	f := newFixture(t)
	f.snd.replies["bob@remote.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")
	f.enqueue("alice@example.org", nil, "bob@remote.example")
	f.enqueue("", nil, "bob@remote.example")                                  // null sender: never bounced
	f.enqueue("alice@example.org", []string{"NEVER"}, "bob@remote.example")   // NOTIFY=NEVER
	f.enqueue("alice@example.org", []string{"SUCCESS"}, "bob@remote.example") // no FAILURE
	f.step()
	f.step() // MaxPerDomain is 2
	if n := len(f.local["alice@example.org"]); n != 1 {
		t.Fatalf("want exactly one bounce, got %d", n)
	}
	if list, _ := f.st.QueuedMessages(f.ctx); len(list) != 0 {
		t.Fatalf("queue not empty: %d", len(list))
	}
}

func TestRemoteSenderBounceIsQueued(t *testing.T) {
	f := newFixture(t)
	f.snd.replies["bob@remote.example"] = smtpreply.New(550, smtpreply.Enhanced{5, 1, 1}, "no such user")
	f.enqueue("zed@far.example", nil, "bob@remote.example")
	f.step()
	list, _ := f.st.QueuedMessages(f.ctx)
	if len(list) != 1 || list[0].From != "" || list[0].Rcpts[0].Addr != "zed@far.example" {
		t.Fatalf("want the bounce queued with a null sender, got %+v", list)
	}
	f.step()
	if last := f.snd.calls[len(f.snd.calls)-1]; last != "far.example:zed@far.example" {
		t.Fatalf("bounce not sent: %v", f.snd.calls)
	}
}

func TestPerDomainLimit(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 3; i++ {
		f.enqueue("alice@example.org", nil, "bob@remote.example")
	}
	f.step() // MaxPerDomain 2
	if len(f.snd.calls) != 2 {
		t.Fatalf("calls %v", f.snd.calls)
	}
	f.step()
	if len(f.snd.calls) != 3 {
		t.Fatalf("calls %v", f.snd.calls)
	}
}

func TestBounceGolden(t *testing.T) {
	arrived := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	m := &store.QueuedMessage{ID: "abcdefghijkl", From: "alice@example.org", EnvID: "env-1", Arrived: arrived}
	rc := store.QueuedRcpt{Addr: "bob@remote.example", ORcpt: "rfc822;bob@remote.example", State: store.RcptFailed,
		LastAttempt: arrived.Add(time.Minute), LastError: "550 5.1.1 no such user", Status: "5.1.1", RemoteMTA: "mx.remote.example"}
	dl := store.QueuedRcpt{Addr: "carol@slow.example", Status: "4.4.1", LastError: "451 4.4.1 No answer",
		LastAttempt: arrived.Add(2 * time.Hour)}
	hdr, _, _ := readOriginal(strings.NewReader(testMsg), int64(len(testMsg)), false)
	r := &report{hostname: "mail.example.org", msg: m, now: arrived.Add(4 * time.Hour), until: arrived.Add(120 * time.Hour),
		items: []reportItem{{rc, actionFailed}, {dl, actionDelayed}}, original: hdr}
	got := string(r.build())
	golden := "testdata/bounce.golden"
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("bounce:\n%s\nwant:\n%s", got, want)
	}
}
