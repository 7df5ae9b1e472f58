package msgauth

import (
	"context"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/header"
)

// padding returns header fields of at least n octets.
func padding(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("X-Pad: " + strings.Repeat("a", 90) + "\r\n")
	}
	return b.String()
}

// A header that does not end within header.MaxSection is refused with
// 554 5.6.0 rather than judged on its first part: a From field of a
// reject-policy domain past the limit would otherwise go unchecked.
func TestHeaderOverLimitRefused(t *testing.T) {
	w := newWorld(t)
	c := New(Config{AuthServID: servID, Resolver: w.res}, discard())
	in := Input{ClientIP: clientIP, Helo: "mail.sender.example", MailFrom: "alice@spfalign.example"}
	for name, msg := range map[string]string{
		"second From": "From: <alice@spfalign.example>\r\n" + padding(header.MaxSection) +
			"From: CEO <ceo@bank.example>\r\n\r\nbody\r\n",
		"folded From": padding(header.MaxSection-200) + "From: <alice@spfalign.example>,\r\n" +
			strings.Repeat(" \r\n", 100) + " CEO <ceo@bank.example>\r\n\r\nbody\r\n",
	} {
		v, err := c.Check(context.Background(), in, strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if v.Action != Reject || v.Reply == nil || v.Reply.Code != 554 || v.Reply.Enhanced.String() != "5.6.0" {
			t.Errorf("%s: action %v reply %v, want reject 554 5.6.0", name, v.Action, v.Reply)
		}
	}
	// Just under the limit, the whole header is read and checked.
	msg := "From: <alice@spfalign.example>\r\n" + padding(header.MaxSection-300) + "\r\nbody\r\n"
	if v, err := c.Check(context.Background(), in, strings.NewReader(msg)); err != nil || v.Action != Deliver {
		t.Errorf("header under the limit: %v %v", v.Action, err)
	}
}

// A malformed line named like From (a NUL or an 8-bit octet added to the name)
// hides no author from DMARC: its domain is checked too, and bank.example's
// reject policy applies.
func TestMalformedFromChecked(t *testing.T) {
	w := newWorld(t)
	c := New(Config{AuthServID: servID, Resolver: w.res}, discard())
	in := Input{ClientIP: clientIP, Helo: "mail.sender.example", MailFrom: "alice@spfalign.example"}
	for _, bad := range []string{"From\x00: CEO <ceo@bank.example>", "Fr\x80om: ceo@bank.example", "FROM\x80 : ceo@bank.example"} {
		msg := "From: <alice@spfalign.example>\r\n" + bad + "\r\nSubject: x\r\n\r\nbody\r\n"
		v, err := c.Check(context.Background(), in, strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if v.Action != Reject || v.DMARC.From != "bank.example" {
			t.Errorf("%q: action %v, DMARC From %q, want reject for bank.example", bad, v.Action, v.DMARC.From)
		}
	}
}
