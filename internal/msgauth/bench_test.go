package msgauth

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkCheck: one message with two aligned signatures (RSA 2048 and
// Ed25519) and an SPF fail, DNS on loopback: SPF of both identities, two
// key lookups and verifications, DMARC discovery.
func BenchmarkCheck(b *testing.B) {
	w := newWorld(b)
	sc := scenario{name: "bench", mailFrom: "bounces@spf-fail.example", from: "<alice@aligned.example>", sign: true}
	msg := w.message(b, sc)
	c := w.checker(sc)
	in := Input{ClientIP: clientIP, Helo: "mail.sender.example", MailFrom: sc.mailFrom}
	b.ReportAllocs()
	for b.Loop() {
		v, err := c.Check(context.Background(), in, strings.NewReader(msg))
		if err != nil || v.DMARC.Result != "pass" {
			b.Fatalf("%+v %v", v.DMARC, err)
		}
	}
}
