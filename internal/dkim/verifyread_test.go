package dkim

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/header"
)

// TestVerifyReadAgreesWithVerify: a header read once by the caller
// (VerifyRead, what internal/msgauth does) verifies as Verify does,
// signatures passing and a changed body failing, and the caller's raw
// header is left as it was.
func TestVerifyReadAgreesWithVerify(t *testing.T) {
	dir := newKeys()
	key, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := testMessage("alice@example.org", 2048)
	signed := mustSign(t, dir, msg) + msg
	_, r := dnsWithKeys(t, key)
	for _, tc := range []struct{ name, msg, want string }{
		{"intact", signed, "pass"},
		{"body changed", strings.Replace(signed, "\r\n\r\n", "\r\n\r\nchanged\r\n", 1), "fail"},
	} {
		br := bufio.NewReader(strings.NewReader(tc.msg))
		raw, fields, err := header.Read(br, header.MaxSection)
		if err != nil {
			t.Fatal(err)
		}
		kept := bytes.Clone(raw)
		res, err := VerifyRead(ctxb, r, raw, fields, br, 5)
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses(res); got != tc.want {
			t.Errorf("%s: VerifyRead %q, want %q", tc.name, got, tc.want)
		}
		if got := statuses(verify(t, r, tc.msg, 5)); got != tc.want {
			t.Errorf("%s: Verify %q, want %q", tc.name, got, tc.want)
		}
		if !bytes.Equal(raw, kept) {
			t.Errorf("%s: VerifyRead changed the caller's header", tc.name)
		}
	}
}
