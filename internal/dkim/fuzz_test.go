package dkim

import (
	"context"
	"strings"
	"testing"
)

// fuzzSeeds are messages for the fuzz targets: signed, broken and odd.
func fuzzSeeds(t testing.TB, dir KeyStore) []string {
	msg := testMessage("a@example.org", 300)
	sig, err := NewSigner(dir, discardLogger()).Sign(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		sig + msg,
		sig + sig + sig + msg,
		strings.ReplaceAll(sig+msg, "\r\n", "\n"),
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; h=From; bh=; b=\r\nFrom: a@example.org\r\n\r\n",
		"DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=sel; h=from:from; x=1; t=2; l=5; q=dns/txt; i=@example.org; bh=AAAA; b=AAAA\r\n\r\n",
		"DKIM-Signature:;;;==;\r\n\tb=\r\n",
		" continuation first\r\nDKIM-Signature: v=1\r\nFrom: <>\r\n",
		"From: =?utf-8?b?////?= <a@example.org>, b@[192.0.2.1], c@bücher.example\r\n\r\nbody",
		"",
		"\r\n\r\n",
	}
}

// fuzzSetup makes a key directory with one Ed25519 key, a resolver that
// knows its record, and adds the seeds.
func fuzzSetup(f *testing.F) (KeyStore, TXTResolver) {
	dir := newKeys()
	k, err := Generate(ctxb, dir, "example.org", "sel", Ed25519, testNow)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds(f, dir) {
		f.Add(s)
	}
	return dir, fakeResolver{txt: map[string][]string{k.RecordName(): {k.TXT()}}}
}

// FuzzVerify: Verify never panics, whatever the message, and gives one
// result per DKIM-Signature field with a known status.
func FuzzVerify(f *testing.F) {
	_, r := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, msg string) {
		res, err := Verify(context.Background(), r, strings.NewReader(msg), 3)
		if err != nil {
			t.Fatalf("Verify of an in-memory message: %v", err)
		}
		for _, x := range res {
			switch x.Status {
			case Pass, Fail, Neutral, Policy, TempError, PermError:
			default:
				t.Fatalf("status %q", x.Status)
			}
		}
	})
}

// FuzzSign: Sign never panics, and what it signs verifies.
func FuzzSign(f *testing.F) {
	dir, r := fuzzSetup(f)
	s := NewSigner(dir, discardLogger())
	f.Fuzz(func(t *testing.T, msg string) {
		sig, err := s.Sign(context.Background(), strings.NewReader(msg))
		if err != nil {
			t.Fatalf("Sign of an in-memory message: %v", err)
		}
		if sig == "" {
			return
		}
		full := sig + msg
		if !strings.Contains(msg, "\n\n") && !strings.Contains(msg, "\r\n\r\n") {
			return // no body separator: the header ends at the end
		}
		res, err := Verify(context.Background(), r, strings.NewReader(full), 10)
		if err != nil || len(res) == 0 || res[0].Status != Pass {
			t.Fatalf("our signature does not verify: %+v, %v\n%q", res, err, full)
		}
	})
}
