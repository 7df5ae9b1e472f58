package vacation

import (
	"bytes"
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
)

// FuzzReply runs the decision and the composition on arbitrary messages
// and parameters: no panic, and every reply is well-formed (checkWire),
// parses, goes to the reverse path alone, is marked auto-replied, and
// carries no field the responder did not write.
func FuzzReply(f *testing.F) {
	f.Add(string(message("")), bob, "", "", "away", false)
	f.Add(string(message("References: <a@b>\r\n")), bob, "=?utf-8?q?x=0D=0A?=", "Zoë <alice@example.org>", "é\r\n.\r\n", false)
	f.Add("To: alice@example.org\r\nSubject: =?iso-8859-1?q?Caf=E9?=\r\n\r\n", "x@y", "s\r\nBcc: e@x", "", "Content-Type: text/html\r\nBcc: e@x\r\n\r\n<p>", true)
	f.Add("To: alice@example.org\nSubject:\n \n\n", "\"a b\"@y", "", "\x00", "\n\n", true)
	allowed := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"In-Reply-To": true, "References": true, "Auto-Submitted": true, "Mime-Version": true}
	f.Fuzz(func(t *testing.T, msg, sender, subject, from, reason string, isMIME bool) {
		r := New(Config{KV: newMemKV(), Hostname: "mx.example.org", Now: time.Now})
		req := Request{Message: []byte(msg), ReversePath: sender, Recipient: alice, Account: alice,
			Action: &sieve.VacationReply{Reason: reason, Subject: subject, From: from, MIME: isMIME, Period: time.Hour}}
		rep, err := r.Reply(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Skip != "" {
			return
		}
		if err := checkWire(rep.Body); err != nil {
			t.Fatalf("%v\n%q", err, rep.Body)
		}
		m, err := mail.ReadMessage(bytes.NewReader(rep.Body))
		if err != nil {
			t.Fatalf("reply does not parse: %v\n%q", err, rep.Body)
		}
		for k, v := range m.Header {
			if !allowed[k] && !strings.HasPrefix(k, "Content-") {
				t.Fatalf("field %s: %q", k, v)
			}
			if len(v) != 1 {
				t.Fatalf("field %s %d times", k, len(v))
			}
		}
		if rep.To != sender || m.Header.Get("Auto-Submitted") != "auto-replied" {
			t.Fatalf("To %q (sender %q), Auto-Submitted %q", rep.To, sender, m.Header.Get("Auto-Submitted"))
		}
	})
}
