package main

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/testkit"
)

// TestServeMetricsIMAPPOP3: after a POP3 login (STLS) and an IMAP login
// (STARTTLS), /metrics of `petrel serve` counts both protocols' sessions,
// commands and logins (README "Metrics").
func TestServeMetricsIMAPPOP3(t *testing.T) {
	s := newPOP3Server(t)
	s.start()
	p := s.dialSTLS()
	p.Ask("STAT", "+OK 0 ")
	p.Ask("QUIT", "+OK")
	ic, err := imapclient.DialStartTLS(s.imap, &imapclient.Options{TLSConfig: s.client})
	if err != nil {
		t.Fatal(err)
	}
	if err := ic.Login(pop3User, pop3Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	code, body := testkit.HTTPGet(t, "http://"+s.http+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`petrel_pop3_sessions_total{listener="pop3"} 1`,
		`petrel_pop3_logins_total{result="success"} 1`,
		`petrel_pop3_commands_total{command="STAT"} 1`,
		`petrel_pop3_commands_total{command="STLS"} 1`,
		`petrel_imap_sessions_total{listener="imap"} 1`,
		`petrel_imap_sessions_active{listener="imap"} 1`,
		`petrel_imap_logins_total{result="success"} 1`,
		`petrel_imap_commands_total{command="SELECT"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	ic.Logout().Wait()
	ic.Close()
	s.stop()
}
