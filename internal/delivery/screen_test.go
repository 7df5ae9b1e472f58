package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// fakeScreener answers every message with its field or reply and
// records the verdicts it was given.
type fakeScreener struct {
	field    string
	reply    *smtpreply.Reply
	verdicts []msgauth.Verdict
}

func (s *fakeScreener) Screen(_ context.Context, _ *envelope.Envelope, v msgauth.Verdict) (string, *smtpreply.Reply) {
	s.verdicts = append(s.verdicts, v)
	return s.field, s.reply
}

const screenField = "X-Spam-Screen: mx.example.net;\r\n\tgreylist=retried\r\n"

// TestScreenerField: on the MX the Screener sees the checks' verdict and
// its field goes above Authentication-Results.
func TestScreenerField(t *testing.T) {
	f := newFixture(t)
	withChecker(f, msgauth.Deliver, nil)
	sc := &fakeScreener{field: screenField}
	f.svc.cfg.Screener = sc
	if rs := f.deliverRaw(mx(t, "alice@example.org"), inboundMessage); rs[0] != nil {
		t.Fatalf("reply %v", rs[0])
	}
	if len(sc.verdicts) != 1 || sc.verdicts[0].Header != arField {
		t.Fatalf("screener given %+v, want the checker's verdict", sc.verdicts)
	}
	body := f.body(f.inbox("alice@example.org")[0])
	if !strings.HasPrefix(body, "Return-Path: <s@remote.example>\r\n"+screenField+arField+"Received: ") {
		t.Fatalf("stored message starts %q", body[:min(len(body), 300)])
	}
}

// TestScreenerRefuses: a reply of the Screener refuses the message for
// every recipient, and nothing is stored.
func TestScreenerRefuses(t *testing.T) {
	f := newFixture(t)
	grey := smtpreply.Greylisted(5 * time.Minute)
	f.svc.cfg.Screener = &fakeScreener{reply: grey}
	rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), inboundMessage)
	if len(rs) != 2 || rs[0] != grey || rs[1] != grey {
		t.Fatalf("replies %v, want the greylisting reply for both", rs)
	}
	if n := len(f.inbox("alice@example.org")); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

// TestScreenerOnlyMX: submission and LMTP are not screened.
func TestScreenerOnlyMX(t *testing.T) {
	f := newFixture(t)
	sc := &fakeScreener{reply: smtpreply.Greylisted(5 * time.Minute)}
	f.svc.cfg.Screener = sc
	lmtp := mx(t, "alice@example.org")
	lmtp.Listener, lmtp.PerRecipient = "lmtp", true
	if rs := f.deliverRaw(lmtp, inboundMessage); rs[0] != nil {
		t.Fatalf("LMTP refused: %v", rs[0])
	}
	if len(sc.verdicts) != 0 {
		t.Fatal("the screener was asked about LMTP mail")
	}
}
