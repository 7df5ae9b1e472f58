package main

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// firstLine connects (through TLS when implicit) and returns the server's
// first line; the connection stays open until the test ends.
func firstLine(t *testing.T, addr string, implicit bool) string {
	t.Helper()
	c := testkit.Dial(t, addr)
	if implicit {
		tc := tls.Client(c.C, &tls.Config{InsecureSkipVerify: true})
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			t.Fatalf("%s: TLS handshake: %v", addr, err)
		}
		c = testkit.Wrap(t, tc)
	}
	return c.Line()
}

// The per-address limits count across listeners (issue 11): [imap]
// max_connections_per_ip covers imap and imaps together, and
// [limits] max_connections_per_ip every protocol together; the refusals
// on implicit-TLS listeners come through TLS. Before, each listener
// counted for itself: 2 connections on imap left 2 more on imaps, and so
// on for every listener.
func TestConnectionLimitsAcrossListeners(t *testing.T) {
	a := map[string]string{}
	for _, k := range []string{"smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s"} {
		a[k] = testkit.FreeAddr(t)
	}
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = [%q]\nsubmission = [%q]\nsubmissions = [%q]\n"+
		"imap = [%q]\nimaps = [%q]\npop3 = [%q]\npop3s = [%q]\n"+
		"[smtp]\nverify_senders = false\nmax_connections_per_ip = 2\n[imap]\nmax_connections_per_ip = 2\n"+
		"[pop3]\nmax_connections_per_ip = 2\n[limits]\nmax_connections_per_ip = 3\n[log]\nlevel = \"warn\"\n",
		a["smtp"], a["submission"], a["submissions"], a["imap"], a["imaps"], a["pop3"], a["pop3s"]))
	serveInBackground(t, e)
	want := func(key string, implicit bool, prefix string) {
		t.Helper()
		if l := firstLine(t, a[key], implicit); !strings.HasPrefix(l, prefix) {
			t.Fatalf("%s: %q, want %q...", key, l, prefix)
		}
	}
	want("imap", false, "* OK ")
	want("imap", false, "* OK ")
	want("imaps", true, "* BYE [UNAVAILABLE] Too many connections") // [imap] across imap and imaps
	want("pop3s", true, "+OK ")                                     // the third connection of the address
	want("pop3", false, "-ERR [SYS/TEMP] Too many connections")     // [limits]
	want("submissions", true, "421 4.7.0 ")
	want("smtp", false, "421 4.7.0 ")
}
