package dkim

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// fakeResolver answers TXT lookups from a map; names not in it fail with
// err (nil: not found).
type fakeResolver struct {
	txt map[string][]string
	err error
}

func (f fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if txts, ok := f.txt[name]; ok {
		return txts, nil
	}
	if f.err != nil {
		return nil, f.err
	}
	return nil, &dnsr.Error{Kind: dnsr.NXDomain, Name: name, Type: "TXT"}
}

func TestVerifyKeyProblems(t *testing.T) {
	dir := newKeys()
	k, _ := Generate(ctxb, dir, "example.org", "sel", Ed25519, testNow)
	msg := mustSign(t, dir, testMessage("a@example.org", 1000)) + testMessage("a@example.org", 1000)
	srv, r := dnsWithKeys(t)
	name := k.RecordName() + "."
	cases := []struct {
		name    string
		setup   func()
		status  string
		reason  string
		timeout bool
	}{
		{"no record (NXDOMAIN)", func() {}, PermError, "no key for signature", false},
		{"no TXT record (NODATA)", func() { srv.Add(t, name+" A 192.0.2.1") }, PermError, "no key for signature", false},
		{"revoked key (empty p=)", func() { srv.Add(t, name+` TXT "v=DKIM1; k=ed25519; p="`) }, PermError, "key revoked", false},
		{"key of another algorithm", func() { srv.Add(t, name+` TXT "v=DKIM1; k=rsa; p=`+strings.Repeat("A", 40)+`"`) }, PermError, "key syntax error", false},
		{"two key records", func() { srv.Add(t, name+` TXT "`+k.TXT()+`"`, name+` TXT "v=DKIM1; p=x"`) }, PermError, "multiple TXT records found for key", false},
		{"SERVFAIL", func() { srv.ServFail(name) }, TempError, "key unavailable", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, r = dnsWithKeys(t)
			tc.setup()
			res := verify(t, r, msg, 5)
			if len(res) != 1 || res[0].Status != tc.status || res[0].Reason != tc.reason {
				t.Errorf("results %+v, want %s (%s)", res, tc.status, tc.reason)
			}
			if res[0].Domain != "example.org" || res[0].Selector != "sel" || res[0].Algorithm != "ed25519-sha256" {
				t.Errorf("result %+v does not name the signature", res[0])
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		srv, r = dnsWithKeys(t)
		srv.Silent(name)
		if res := verify(t, r, msg, 5); statuses(res) != TempError {
			t.Errorf("results %+v, want temperror", res)
		}
	})
	t.Run("resolver error of unknown kind", func(t *testing.T) {
		res := verify(t, fakeResolver{err: errors.New("connection refused")}, msg, 5)
		if statuses(res) != TempError {
			t.Errorf("results %+v, want temperror", res)
		}
	})
}

func TestVerifyNoSignature(t *testing.T) {
	res, err := Verify(context.Background(), fakeResolver{}, strings.NewReader(testMessage("a@example.org", 100)), 5)
	if err != nil || res != nil {
		t.Errorf("unsigned message: %+v, %v", res, err)
	}
}

// Signatures past max are reported as policy, without a key lookup.
func TestVerifyMaxSignatures(t *testing.T) {
	dirs := []*memKeys{newKeys(), newKeys(), newKeys()}
	msg := testMessage("a@example.org", 500)
	var sigs string
	txt := map[string][]string{}
	for i, dir := range dirs {
		k, _ := Generate(ctxb, dir, "example.org", "s"+string(rune('1'+i)), Ed25519, testNow)
		txt[k.RecordName()] = []string{k.TXT()}
		sigs += mustSign(t, dir, msg)
	}
	counting := &countingResolver{r: fakeResolver{txt: txt}}
	res := verify(t, counting, sigs+msg, 2)
	if statuses(res) != "pass pass policy" || res[2].Selector != "s3" || res[2].Reason == "" {
		t.Errorf("results %+v", res)
	}
	if n := counting.n.Load(); n != 2 {
		t.Errorf("%d key lookups, want 2", n)
	}
	if res := verify(t, counting, sigs+msg, 0); statuses(res) != "pass pass pass" {
		t.Errorf("max 0 (default): %+v", res)
	}
}

// countingResolver counts lookups; go-msgauth verifies the signatures
// of a message concurrently, hence the atomic counter.
type countingResolver struct {
	r TXTResolver
	n atomic.Int64
}

func (c *countingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	c.n.Add(1)
	return c.r.LookupTXT(ctx, name)
}

func TestVerifyPolicyAndSyntax(t *testing.T) {
	dir := newKeys()
	k, _ := Generate(ctxb, dir, "example.org", "sel", Ed25519, testNow)
	r := fakeResolver{txt: map[string][]string{k.RecordName(): {k.TXT()}}}
	msg := testMessage("a@example.org", 300)

	// An expired signature (x= in the past, RFC 6376 §3.5).
	var signed bytes.Buffer
	err := msgdkim.Sign(&signed, strings.NewReader(msg), &msgdkim.SignOptions{
		Domain: "example.org", Selector: "sel", Signer: k.signer, Hash: crypto.SHA256,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed,
		Expiration: time.Now().Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res := verify(t, r, signed.String(), 5); statuses(res) != Policy || res[0].Reason != "signature expired" {
		t.Errorf("expired: %+v", res)
	}

	cases := []struct{ name, field, status, reason string }{
		{"garbage", "DKIM-Signature: this is not a tag list\r\n", PermError, "malformed signature tags"},
		{"missing tags", "DKIM-Signature: v=1; d=Example.ORG; s=sel\r\n", PermError, "signature missing required tag"},
		{"From not signed", "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=sel; h=Subject; bh=AAAA; b=AAAA\r\n", PermError, "From field not signed"},
		{"i= outside d=", "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; i=@evil.example; s=sel; h=From; bh=AAAA; b=AAAA\r\n", PermError, "domain mismatch"},
		{"bad signature", "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=From; bh=" + bodyHash(t, msg) + "; b=AAAA\r\n", Fail, "signature did not verify"},
	}
	for _, tc := range cases {
		res := verify(t, r, tc.field+msg, 5)
		if len(res) != 1 || res[0].Status != tc.status || res[0].Reason != tc.reason {
			t.Errorf("%s: %+v, want %s (%s)", tc.name, res, tc.status, tc.reason)
		}
	}
	if res := verify(t, r, cases[1].field+msg, 5); res[0].Domain != "example.org" || res[0].Identifier != "@example.org" {
		t.Errorf("d= of a broken signature: %+v", res[0])
	}
}

// bodyHash is the relaxed body hash of msg, taken from a real signature.
func bodyHash(t *testing.T, msg string) string {
	t.Helper()
	dir := newKeys()
	Generate(ctxb, dir, "example.org", "x", Ed25519, testNow)
	return sigFields(t, mustSign(t, dir, msg))[0]["bh"]
}

func TestVerifyReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	ctx := context.Background()
	if _, err := Verify(ctx, fakeResolver{}, io.MultiReader(strings.NewReader("From: a\r\n"), iotest.ErrReader(boom)), 5); !errors.Is(err, boom) {
		t.Errorf("read error in the header: %v", err)
	}
	// A read error in the body, which the verification reads.
	dir := newKeys()
	k, _ := Generate(ctxb, dir, "example.org", "sel", Ed25519, testNow)
	r := fakeResolver{txt: map[string][]string{k.RecordName(): {k.TXT()}}}
	msg := testMessage("a@example.org", 3000)
	signed := mustSign(t, dir, msg) + msg
	sig := signed[:strings.Index(signed, "From: Alice")]
	for _, n := range []int{1, 2} {
		in := io.MultiReader(strings.NewReader(strings.Repeat(sig, n-1)+signed[:len(signed)-100]), iotest.ErrReader(boom))
		if res, err := Verify(ctx, r, in, 5); !errors.Is(err, boom) {
			t.Errorf("%d signatures, read error in the body: %+v, %v", n, res, err)
		}
	}
}
