package smtpclient

import (
	"context"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestLogLines: the client's lines name the queued message (its
// LogAttrs: queue_id, msg_id), and keep the log conventions: tls a
// boolean (the version apart), the duration in milliseconds (issue 13).
func TestLogLines(t *testing.T) {
	srv := startFake(t, &fakeServer{ext: []string{"PIPELINING"}})
	e := newEnv(t, srv.port())
	e.dns.Add(t, "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1", "null.test. MX 0 .")
	logs := &testkit.LogBuffer{}
	c := New(e.cfg, dnsr.New([]string{e.dns.Addr}, 500*time.Millisecond), testkit.JSONLogger(logs))
	m := msg("Subject: hi\r\n\r\nhi\r\n", "bob@remote.test")
	m.LogAttrs = []any{"queue_id", "q1", "msg_id", "m1"}
	ctx := context.Background()
	want(t, c.Send(ctx, "remote.test", m), "250 2.0.0")
	c.Send(ctx, "null.test", m)
	got := map[string]testkit.LogLine{}
	for _, l := range testkit.JSONLines(t, logs.String()) {
		got[l.Str("msg")] = l
	}
	a := got["delivery attempt"]
	if a.Str("queue_id") != "q1" || a.Str("msg_id") != "m1" || a["tls"] != false || a["duration_ms"] == nil {
		t.Errorf("attempt line %v: want queue_id q1, msg_id m1, tls false, duration_ms", a)
	}
	if f := got["delivery failed"]; f.Str("queue_id") != "q1" || f.Str("domain") != "null.test" {
		t.Errorf("failure line %v: want queue_id q1, domain null.test", f)
	}
}

// TestLogLineOfFailedAttempt: an attempt that ended on an error names it
// "err", as every other line does (review of issue 13: "error").
func TestLogLineOfFailedAttempt(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{badTLS: true})
	logs := &testkit.LogBuffer{}
	e.cfg.RequireTLS = true
	c := New(e.cfg, dnsr.New([]string{e.dns.Addr}, 500*time.Millisecond), testkit.JSONLogger(logs))
	want(t, c.Send(context.Background(), "remote.test", msg("x\r\n", "a@remote.test")), "451")
	if len(srv.transcripts()) != 1 {
		t.Fatalf("%d connections, want 1", len(srv.transcripts()))
	}
	found := false
	for _, l := range testkit.JSONLines(t, logs.String()) {
		if l.Str("msg") == "delivery attempt" && l.Str("err") != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no delivery attempt line with err:\n%s", logs.String())
	}
}
