package screen_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/greylist"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/spfcheck"
	"github.com/petrelmail/petrel/internal/testkit"
)

func envFrom(t testing.TB, from string, rcpts ...string) *envelope.Envelope {
	t.Helper()
	env := &envelope.Envelope{ID: "m1", Listener: "smtp", ClientIP: netip.MustParseAddr("198.51.100.20")}
	parse := func(a string) mailaddr.Address {
		addr, err := mailaddr.Parse(a)
		if err != nil {
			t.Fatal(err)
		}
		return addr
	}
	if from != "" {
		env.From = parse(from)
	}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, envelope.Recipient{Addr: parse(r)})
	}
	return env
}

func newInbound(t *testing.T, clk *testkit.Clock, exempt ...string) (*screen.Inbound, *prometheus.Registry) {
	g := greylist.New(greylist.Config{Delay: 5 * time.Minute, SweepEvery: -1, Now: clk.Now}, testkit.NewStore(t))
	reg := prometheus.NewRegistry()
	return screen.NewInbound(screen.InboundConfig{Hostname: "mx.test", Greylist: g, ExemptDomains: exempt},
		screen.NewMetrics(reg), discard), reg
}

// TestGreylistMessage: the first message gets 451 4.7.1 with the wait,
// its retry after the delay passes with the field saying so.
func TestGreylistMessage(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	in, reg := newInbound(t, clk)
	env := envFrom(t, "a@sender.example", "u@example.org")
	field, r := in.Screen(ctx, env, msgauth.Verdict{})
	if r == nil || r.Code != 451 || r.Enhanced.String() != "4.7.1" || !strings.Contains(r.Text, "300 seconds") || field != "" {
		t.Fatalf("first message: %q, %v; want 451 4.7.1 with 300 seconds to wait", field, r)
	}
	clk.Add(6 * time.Minute)
	field, r = in.Screen(ctx, env, msgauth.Verdict{})
	if r != nil || field != "X-Spam-Screen: mx.test;\r\n\tgreylist=retried\r\n" {
		t.Fatalf("retry: %q, %v", field, r)
	}
	m := testkit.Gather(t, reg)
	if m[`petrel_screen_decisions_total{check=greylist,result=defer}`] != 1 || m[`petrel_screen_decisions_total{check=greylist,result=retried}`] != 1 {
		t.Errorf("metrics: %v", m)
	}
}

// TestGreylistExemptions: authenticated clients, allowlisted clients and
// mail that SPF or DKIM passes for an exempt domain are not greylisted;
// a pass for another domain, or a DKIM failure, does not exempt.
func TestGreylistExemptions(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	in, _ := newInbound(t, clk, "trusted.example", ".partner.example")
	spf := func(result, domain string) msgauth.Verdict {
		return msgauth.Verdict{SPF: spfcheck.Result{Result: result, Domain: domain}}
	}
	sig := func(status, domain string) msgauth.Verdict {
		return msgauth.Verdict{DKIM: []dkim.Result{{Status: dkim.Fail, Domain: "trusted.example"}, {Status: status, Domain: domain}}}
	}
	auth := envFrom(t, "x@any.example", "u@example.org")
	auth.AuthAccount = "someone"
	listed := envFrom(t, "y@any.example", "u@example.org")
	listed.Screening = &envelope.Screening{Allowed: "wl.test", Threshold: 1}
	for _, c := range []struct {
		name   string
		env    *envelope.Envelope
		v      msgauth.Verdict
		exempt string // in the field; "" = greylisted
	}{
		{"authenticated", auth, msgauth.Verdict{}, "greylist=exempt (authenticated)"},
		{"allowlisted", listed, msgauth.Verdict{}, "greylist=exempt (dnswl wl.test)"},
		{"SPF pass for an exempt domain", envFrom(t, "a@trusted.example", "u@example.org"), spf(spfcheck.Pass, "trusted.example"), "greylist=exempt (spf trusted.example)"},
		{"DKIM pass for a subdomain", envFrom(t, "a@x.example", "u@example.org"), sig(dkim.Pass, "mail.partner.example"), "greylist=exempt (dkim mail.partner.example)"},
		{"SPF pass for another domain", envFrom(t, "a@other.example", "u@example.org"), spf(spfcheck.Pass, "other.example"), ""},
		{"SPF softfail for an exempt domain", envFrom(t, "b@trusted.example", "u@example.org"), spf(spfcheck.SoftFail, "trusted.example"), ""},
		{"DKIM fail for an exempt domain", envFrom(t, "c@x.example", "u@example.org"), sig(dkim.Fail, "trusted.example"), ""},
		{"not the parent of a dotted entry", envFrom(t, "d@x.example", "u@example.org"), sig(dkim.Pass, "partner.example"), ""},
	} {
		field, r := in.Screen(ctx, c.env, c.v)
		switch {
		case c.exempt == "" && r == nil:
			t.Errorf("%s: not greylisted (%q)", c.name, field)
		case c.exempt != "" && (r != nil || !strings.Contains(field, c.exempt)):
			t.Errorf("%s: %v, field %q; want exempt", c.name, r, field)
		}
	}
}

// TestScreenField reports the DNS lists' verdict with greylisting off.
func TestScreenField(t *testing.T) {
	in := screen.NewInbound(screen.InboundConfig{Hostname: "mx.test"}, nil, discard)
	env := envFrom(t, "a@sender.example", "u@example.org")
	env.Screening = &envelope.Screening{Score: 1, Threshold: 2, Listed: []string{"bl.test"}, Unanswered: []string{"slow.test"}}
	field, r := in.Screen(ctx, env, msgauth.Verdict{})
	want := "X-Spam-Screen: mx.test;\r\n\tdnsbl=1/2 (bl.test);\r\n\tdnswl=none;\r\n\tunanswered=slow.test;\r\n\tgreylist=off\r\n"
	if r != nil || field != want {
		t.Fatalf("field %q, %v; want %q", field, r, want)
	}
}
