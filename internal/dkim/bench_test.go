package dkim

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkSign signs a 4 KiB message, as the submission path does:
// go test -run x -bench Sign ./internal/dkim/
func BenchmarkSign(b *testing.B) {
	for _, tc := range []struct {
		name string
		algs []string
	}{
		{"rsa2048", []string{RSA}},
		{"ed25519", []string{Ed25519}},
		{"rsa2048+ed25519", []string{RSA, Ed25519}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := newKeys()
			for _, alg := range tc.algs {
				if _, err := Generate(ctxb, dir, "example.org", "", alg, testNow); err != nil {
					b.Fatal(err)
				}
			}
			s := NewSigner(dir, discardLogger())
			msg := testMessage("alice@example.org", 4096)
			ctx := context.Background()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				sig, err := s.Sign(ctx, strings.NewReader(msg))
				if err != nil || sig == "" {
					b.Fatal(sig, err)
				}
			}
		})
	}
}

// BenchmarkVerify verifies a 4 KiB message signed with RSA and Ed25519
// (keys from memory, no DNS).
func BenchmarkVerify(b *testing.B) {
	dir := newKeys()
	txt := map[string][]string{}
	for _, alg := range []string{RSA, Ed25519} {
		k, err := Generate(ctxb, dir, "example.org", "", alg, testNow)
		if err != nil {
			b.Fatal(err)
		}
		txt[k.RecordName()] = []string{k.TXT()}
	}
	msg := testMessage("alice@example.org", 4096)
	sig, err := NewSigner(dir, discardLogger()).Sign(context.Background(), strings.NewReader(msg))
	if err != nil {
		b.Fatal(err)
	}
	signed := sig + msg
	r := fakeResolver{txt: txt}
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Verify(context.Background(), r, strings.NewReader(signed), 5)
		if err != nil || statuses(res) != "pass pass" {
			b.Fatal(res, err)
		}
	}
}
