package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// sieveE2EScript is alice's filter in the delivery scenarios.
const sieveE2EScript = `require ["fileinto", "mailbox", "imap4flags", "reject"];
if header :contains "subject" "sort" { fileinto :create :flags "\\Flagged $Sorted" "Lists/sorted"; }
elsif header :contains "subject" "refuse" { reject "no thanks"; }
`

// imapMailbox lists "subject flags" of the messages in a mailbox of
// alice, as an IMAP client sees them.
func imapMailbox(t *testing.T, s *pop3Server, mailbox string) []string {
	t.Helper()
	c, err := imapclient.DialStartTLS(s.imap, &imapclient.Options{TLSConfig: s.client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(pop3User, pop3Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatalf("SELECT %s: %v", mailbox, err)
	}
	var out []string
	if sel.NumMessages > 0 {
		msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
		if err != nil {
			t.Fatalf("FETCH in %s: %v", mailbox, err)
		}
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				if f == `\Recent` {
					continue
				}
				flags = append(flags, string(f))
			}
			slices.Sort(flags)
			out = append(out, m.Envelope.Subject+" "+strings.Join(flags, ","))
		}
	}
	c.Logout().Wait()
	return out
}

func sieveSend(s *pop3Server, subject string, to ...string) error {
	msg := fmt.Sprintf("From: bob@example.com\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nbody\r\n",
		subject, strings.ReplaceAll(subject, " ", "."))
	return e2eSend(s.smtp, "client.example.com", "bob@example.com", to, []byte(msg))
}

// Sieve at delivery through petrel serve (README "Filters and vacation"):
// fileinto :create makes the mailbox and sets the flags (seen over IMAP),
// the operator's before script runs first, reject is a 550 at DATA with
// one recipient and a report to the sender with two, and a broken script
// keeps the messages and puts one report in the INBOX.
func TestServeSieveDelivery(t *testing.T) {
	s := newPOP3Server(t)
	dir := t.TempDir()
	before := filepath.Join(dir, "before.sieve")
	must(t, os.WriteFile(before, []byte(`require "imap4flags"; addflag "$Global";`), 0o644))
	conf, err := os.ReadFile(s.config)
	must(t, err)
	// SPF passes for the sender's domain: the report of a reject goes
	// only to a sender vouched for.
	dns := dnstest.Start(t)
	dns.Add(t, `example.com. TXT "v=spf1 ip4:127.0.0.1 -all"`)
	conf = []byte(strings.NewReplacer(`level = "warn"`, `level = "info"`, "verify_senders = false", "verify_senders = true").Replace(string(conf)) +
		fmt.Sprintf("[sieve]\nbefore = %q\n[dns]\nservers = [%q]\n", before, dns.Addr))
	must(t, os.WriteFile(s.config, conf, 0o644))
	s.addUsers("bob@example.org")
	s.cli(sieveE2EScript, "sieve", "put", pop3User, "main")
	s.cli("", "sieve", "activate", pop3User, "main")
	s.start()

	must(t, sieveSend(s, "sort me", pop3User))
	if got := imapMailbox(t, s, "Lists/sorted"); len(got) != 1 || got[0] != `sort me $Sorted,\Flagged` {
		t.Fatalf("Lists/sorted: %q, want the message with \\Flagged $Sorted (:flags replaces the before script's)", got)
	}

	err = sieveSend(s, "refuse one", pop3User)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) ||
		!strings.Contains(se.Message, "no thanks") || !strings.Contains(err.Error(), "end of DATA") {
		t.Fatalf("reject, one recipient: %v; want 550 5.7.1 at DATA", err)
	}
	must(t, sieveSend(s, "refuse two", pop3User, "bob@example.org"))
	// The report is queued from <> to the sender (the queue then tries
	// example.com, which does not resolve here).
	const attempt = `from="" rcpt=bob@example.com`
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(s.log.String(), attempt); {
		time.Sleep(100 * time.Millisecond)
	}
	if l := s.log.String(); !strings.Contains(l, attempt) || !strings.Contains(l, `msg="queued a policy's message"`) {
		t.Fatalf("no report queued to the sender:\n%s", l)
	}
	if got := imapMailbox(t, s, "INBOX"); len(got) != 0 {
		t.Fatalf("alice's INBOX %q: the rejected copies must not be there", got)
	}

	must(t, sieveSend(s, "plain", pop3User))
	if got := imapMailbox(t, s, "INBOX"); len(got) != 1 || got[0] != "plain $Global" {
		t.Fatalf("INBOX %q: want the plain message with the before script's flag", got)
	}

	s.cli(`require "include"; include "missing";`, "sieve", "put", pop3User, "broken")
	s.cli("", "sieve", "activate", pop3User, "broken")
	must(t, sieveSend(s, "first", pop3User))
	must(t, sieveSend(s, "second", pop3User))
	got := imapMailbox(t, s, "INBOX")
	want := []string{"plain $Global", "Your Sieve filter failed ", "first ", "second "}
	if !slices.Equal(got, want) {
		t.Fatalf("INBOX %q, want %q: the messages kept, one report", got, want)
	}
	s.stop()
}

// A global script that does not compile stops petrel serve, naming the
// key, the file, the line and the column.
func TestServeSieveBeforeBroken(t *testing.T) {
	s := newE2EServer(t, buildPetrel(t), false)
	before := filepath.Join(t.TempDir(), "before.sieve")
	must(t, os.WriteFile(before, []byte("keep;\nfrob;\n"), 0o644))
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	fmt.Fprintf(f, "[sieve]\nbefore = %q\n", before)
	must(t, f.Close())
	out, err := exec.Command(s.bin, "serve", "--config", s.config).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "sieve.before") || !strings.Contains(string(out), "line 2, column 1") {
		t.Fatalf("petrel serve with a broken before script: %v\n%s", err, out)
	}
}
