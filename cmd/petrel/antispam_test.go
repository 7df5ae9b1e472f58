package main

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpd"
	"github.com/petrelmail/petrel/internal/testkit"
)

// TestAntispamWiring: [antispam] reaches the MX built by smtpBindings: a
// client on the blocklist (127.0.0.3 here) is refused at RCPT, another
// is greylisted, passes on its retry after the delay, and its message
// carries the X-Spam-Screen field; the decisions are in the metrics.
// verify_senders is off: greylisting does not depend on the checks.
func TestAntispamWiring(t *testing.T) {
	dns := dnstest.Start(t)
	dns.Add(t, "3.0.0.127.bl.test. A 127.0.0.2")
	cfg := config.Default()
	cfg.Hostname, cfg.DataDir = "mail.example.org", t.TempDir()
	cfg.SMTP.VerifySenders = false
	cfg.DNS.Servers = []string{dns.Addr}
	cfg.Antispam.DNSBL = []string{"bl.test"}
	cfg.Antispam.Greylist.Enabled = true
	cfg.Antispam.Greylist.Delay = config.Duration(time.Second)
	if errs := cfg.Validate(); errs != nil {
		t.Fatal(errs)
	}
	st := testkit.OpenStore(t, cfg.DataDir)
	t.Cleanup(func() { st.Close() })
	acct := testkit.Accounts(st, accounts.Options{})
	testkit.AddUser(t, acct, "alice@example.org", "secret")
	must(t, os.MkdirAll(cfg.DataDir+"/"+smtpd.SpoolSubdir, 0o700))
	logs := &testkit.LogBuffer{}
	d := deps{cfg: cfg, st: st, accounts: acct, metrics: obs.NewMetrics(), log: testkit.JSONLogger(logs), dns: newResolver(cfg)}
	var mx binding
	for _, b := range smtpBindings(d) {
		if b.key == "listen.smtp" {
			mx = b
		}
	}
	ln := testkit.Listen(t)
	go mx.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		mx.srv.Shutdown(ctx)
	})
	addr := ln.Addr().String()
	session := func(from string) *testkit.Conn {
		dl := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := dl.Dial("tcp", addr)
		must(t, err)
		tc := testkit.Wrap(t, c)
		tc.Expect("220 ")
		ehlo(tc)
		tc.Ask("MAIL FROM:<s@remote.example>", "250 ")
		return tc
	}
	c := session("127.0.0.3")
	c.Ask("RCPT TO:<alice@example.org>", "554 5.7.1")
	c.Ask("QUIT", "221 ")

	send := func() string {
		c := session("127.0.0.1")
		c.Ask("RCPT TO:<alice@example.org>", "250 ")
		c.Ask("DATA", "354 ")
		c.Send("Subject: hello\r\n\r\nhi\r\n.\r\n")
		r := c.Line()
		c.Ask("QUIT", "221 ")
		return r
	}
	if r := send(); !strings.HasPrefix(r, "451 4.7.1 Greylisted") {
		t.Fatalf("first attempt: %q, want 451 4.7.1 Greylisted", r)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := send(); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("retry after the delay: %q", r)
	}
	ctx := context.Background()
	id, err := st.LookupAddress(ctx, "alice@example.org")
	must(t, err)
	mb, err := st.Mailbox(ctx, id, "INBOX")
	must(t, err)
	ms, err := st.Messages(ctx, mb.ID, 1, 0)
	must(t, err)
	if len(ms) != 1 {
		t.Fatalf("%d messages in the INBOX", len(ms))
	}
	blob, err := st.OpenBlob(ctx, ms[0].Blob)
	must(t, err)
	defer blob.Close()
	buf := make([]byte, blob.Size())
	_, err = blob.ReadAt(buf, 0)
	must(t, err)
	if !strings.Contains(string(buf), "X-Spam-Screen: mail.example.org;\r\n\tdnsbl=0/1;\r\n\tdnswl=none;\r\n\tgreylist=retried\r\n") {
		t.Errorf("stored message without the field:\n%s", buf)
	}
	m := testkit.Gather(t, d.metrics.Registry)
	for k, want := range map[string]float64{
		"petrel_screen_decisions_total{check=greylist,result=defer}":    1,
		"petrel_screen_decisions_total{check=greylist,result=retried}":  1,
		"petrel_screen_decisions_total{check=dnsbl,result=reject}":      1,
		"petrel_smtpd_rejections_total{listener=smtp,reason=dnsbl}":     1,
		"petrel_smtpd_rejections_total{listener=smtp,reason=policy}":    1, // the 451 after DATA
		"petrel_screen_dnsl_lookups_total{outcome=listed,zone=bl.test}": 1,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"screen: greylisted"`) {
		t.Errorf("no log line for the greylisted message:\n%s", logs)
	}
}
