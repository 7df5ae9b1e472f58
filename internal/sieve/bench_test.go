package sieve

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// fiftyRules is a typical user script: 50 rules on headers, addresses,
// the envelope, the size and the body, none of which matches the
// benchmark message, so every rule is evaluated.
func fiftyRules() string {
	var b strings.Builder
	b.WriteString(`require ["fileinto","envelope","imap4flags","variables","body","relational","comparator-i;ascii-numeric","regex"];` + "\n")
	for i := range 50 {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "if header :contains \"subject\" [\"offer %d\", \"deal %d\"] { fileinto \"Promo%d\"; stop; }\n", i, i, i)
		case 1:
			fmt.Fprintf(&b, "if address :domain :is [\"from\",\"sender\"] \"list%d.example.org\" { fileinto \"Lists/%d\"; }\n", i, i)
		case 2:
			fmt.Fprintf(&b, "if envelope :localpart :matches \"to\" \"team%d-*\" { addflag \"$Team%d\"; fileinto \"Team%d\"; }\n", i, i, i)
		case 3:
			fmt.Fprintf(&b, "if allof (size :over %dK, header :regex \"x-mailer\" \"^bulk%d\") { discard; }\n", 100+i, i)
		case 4:
			fmt.Fprintf(&b, "if anyof (header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"%d\", body :contains \"unsubscribe-%d\") { fileinto \"Bulk\"; }\n", 50+i, i)
		}
	}
	return b.String()
}

// message4K is a 4 KiB message with a plain-text body.
func message4K() []byte {
	h := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Quarterly figures\r\n" +
		"Date: Sat, 05 Dec 2026 11:30:45 +0200\r\nMessage-ID: <q4@example.com>\r\nX-Priority: 3\r\n\r\n"
	body := strings.Repeat("The numbers for the quarter are attached to this mail.\r\n", (4096-len(h))/56)
	return []byte(h + body)
}

// BenchmarkFiftyRules is the per-message cost of a 50-rule script
// compiled once (issue 18, Performance).
func BenchmarkFiftyRules(b *testing.B) {
	s, err := Compile([]byte(fiftyRules()), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	raw := message4K()
	env := Environment{Envelope: Envelope{From: "alice@example.com", To: "bob@example.net"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		res := s.Run(context.Background(), ParseMessage(raw), env)
		if res.Err != nil || len(res.Actions) != 1 || !res.Actions[0].Implicit {
			b.Fatalf("result %+v", res)
		}
	}
}

// BenchmarkCompileFiftyRules is the cost the cache saves per message.
func BenchmarkCompileFiftyRules(b *testing.B) {
	src := []byte(fiftyRules())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchScriptIsFiftyRules keeps bench/sieve50.sieve, the script
// bench/smtp.sh (SIEVE=1) gives Petrel and Pigeonhole, the same as the
// one BenchmarkFiftyRules runs.
func TestBenchScriptIsFiftyRules(t *testing.T) {
	b, err := os.ReadFile("../../bench/sieve50.sieve")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != fiftyRules() {
		t.Fatal("bench/sieve50.sieve differs from fiftyRules(): regenerate it")
	}
}
