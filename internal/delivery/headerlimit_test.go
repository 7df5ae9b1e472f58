package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/header"
)

// pad returns header fields of at least n octets.
func pad(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("X-Pad: " + strings.Repeat("a", 90) + "\r\n")
	}
	return b.String()
}

// withForeignKey gives catch.example, a domain alice may not send as, a
// signing key in the fixture's key store.
func withForeignKey(f *fixture) {
	f.t.Helper()
	if _, err := dkim.Generate(context.Background(), f.st, "catch.example", "sel", dkim.RSA, time.Now()); err != nil {
		f.t.Fatal(err)
	}
}

// A From field that submission does not see because it lies past the
// header limit: a second From field after padding, or the continuation of
// alice's own From field across the limit. Before the fix both were
// accepted and signed by catch.example's key; now both are refused with
// 554 5.6.0, and nothing is stored or queued.
func TestSubmissionFromPastHeaderLimit(t *testing.T) {
	cases := map[string]string{
		"second From": "From: alice@example.org\r\n" + pad(header.MaxSection) + "From: CEO <ceo@catch.example>\r\n",
		"folded From": pad(header.MaxSection-200) + "From: alice@example.org,\r\n" + strings.Repeat(" \r\n", 100) +
			" CEO <ceo@catch.example>\r\n",
	}
	for name, hdr := range cases {
		refusedSubmission(t, name, hdr, "header too large")
	}
}

// A header just under the limit is read whole and accepted, signed.
func TestSubmissionHeaderUnderLimit(t *testing.T) {
	f := newFixture(t)
	dns := withSigner(f, dkim.RSA)
	q := withQueue(f)
	msg := fromAlice + pad(header.MaxSection-2000) + "Subject: x\r\n\r\nbody\r\n"
	rs := f.submit(submitted(t, "carol@remote.example"), msg)
	if rs[0] != nil || len(q.msgs) != 1 {
		t.Fatalf("reply %v, %d queued", rs[0], len(q.msgs))
	}
	if res := verifyDKIM(t, dns, q.msgs[0].body); len(res) != 1 || res[0].Domain != "example.org" {
		t.Errorf("signatures %+v, want one of example.org", res)
	}
}

// A header that fits the limit only without the Date and Message-ID that
// submission adds is refused (554 5.6.0), not accepted and then failed at
// signing (451 4.3.0, which the client would retry for ever).
func TestSubmissionHeaderLimitLeavesRoom(t *testing.T) {
	f := newFixture(t)
	withSigner(f, dkim.RSA)
	q := withQueue(f)
	// The header, empty line included, is 100 octets short of the limit.
	hdr := "From: alice@example.org\r\n" + pad(header.MaxSection-1000)
	fill := header.MaxSection - 100 - len(hdr) - len("X-Fill: \r\n\r\n")
	msg := hdr + "X-Fill: " + strings.Repeat("b", fill) + "\r\n\r\nbody\r\n"
	if n := strings.Index(msg, "\r\n\r\n") + 4; n != header.MaxSection-100 {
		t.Fatalf("header of %d octets", n)
	}
	rs := f.submit(submitted(t, "carol@remote.example"), msg)
	if r := rs[0]; r == nil || r.Code != 554 || code(r) != "5.6.0" || len(q.msgs) != 0 {
		t.Fatalf("reply %v, %d queued; want 554 5.6.0", r, len(q.msgs))
	}
}

// A header line that is no field (a name with a NUL or 8-bit octet, no
// colon, a continuation at the top) could hide a From field from the
// check: submission refuses it with 554 5.6.0, nothing stored or queued.
func TestSubmissionMalformedHeader(t *testing.T) {
	for name, hdr := range map[string]string{
		"NUL in name":          "From: alice@example.org\r\nFrom\x00: CEO <ceo@catch.example>\r\n",
		"8-bit name":           "From: alice@example.org\r\nFr\xc3\xb6m: ceo@catch.example\r\n",
		"no colon":             "From: alice@example.org\r\ngarbage line\r\n",
		"leading continuation": " From: CEO <ceo@catch.example>\r\nFrom: alice@example.org\r\n",
	} {
		refusedSubmission(t, name, hdr, "malformed")
	}
}

// refusedSubmission submits a message with header hdr from a sender whose
// domain and a foreign one both have keys, and checks that every
// recipient got 554 5.6.0 with text in its reply and that nothing was
// stored or queued.
func refusedSubmission(t *testing.T, name, hdr, text string) {
	t.Helper()
	f := newFixture(t)
	withSigner(f, dkim.RSA)
	withForeignKey(f)
	q := withQueue(f)
	rs := f.submit(submitted(t, "bob@example.org", "carol@remote.example"), hdr+"Subject: x\r\n\r\nbody\r\n")
	for i, r := range rs {
		if r == nil || r.Code != 554 || code(r) != "5.6.0" || !strings.Contains(r.Text, text) {
			t.Errorf("%s: reply %d = %v, want 554 5.6.0 (%s)", name, i, r, text)
		}
	}
	if n := len(f.inbox("bob@example.org")); n != 0 || len(q.msgs) != 0 {
		t.Errorf("%s: %d stored, %d queued", name, n, len(q.msgs))
	}
}
