package msgauth

import (
	"bufio"
	"strings"
	"testing"
)

func TestAuthServID(t *testing.T) {
	tests := []struct {
		value, want string
		ok          bool
	}{
		{" mx.example.org; spf=pass", "mx.example.org", true},
		{" mx.example.org 1; none", "mx.example.org", true},
		{"mx.example.org;", "mx.example.org", true},
		{" (comment) mx.example.org; dkim=pass", "mx.example.org", true},
		{" (nested (comment) \\) here)\r\n\tmx.example.org;", "mx.example.org", true},
		{` "mx.example.org"; dkim=pass`, "mx.example.org", true},
		{` "mx.exa\mple.org" ; x=y`, "mx.example.org", true},
		{"\r\n\tmx.example.org\r\n\t;", "mx.example.org", true},
		{" mx.example.org(c); x", "mx.example.org", true},
		{" bücher.example; x", "bücher.example", true},
		{" ; spf=pass", "", false},
		{"", "", false},
		{" (unclosed comment mx.example.org;", "", false},
		{` "unclosed`, "", false},
	}
	for _, tt := range tests {
		got, ok := authServID(tt.value)
		if got != tt.want || ok != tt.ok {
			t.Errorf("authServID(%q) = %q, %v; want %q, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

// ownMessage has Authentication-Results fields of every kind: the ones
// marked "ours" claim mx.example.org in some way and must go; the others
// stay.
const ownMessage = "Received: from a by b; Sat, 14 Mar 2026 15:09:26 +0000\r\n" +
	"Authentication-Results: mx.example.org; dkim=pass (ours 1)\r\n" +
	"Authentication-Results: other.example; dkim=pass (keep 1)\r\n" +
	"authentication-results : MX.EXAMPLE.ORG.;\r\n\tspf=pass (ours 2)\r\n" +
	"Authentication-Results: (a comment) mx.example.org;\r\n dmarc=pass (ours 3)\r\n" +
	"Authentication-Results: \"mx.example.org\"; dkim=pass (ours 4)\r\n" +
	"Authentication-Results: \"mx.example.org; x=y (ours 5: unclosed quote, naive readers see our id)\r\n" +
	"Authentication-Results: mx.example.org.evil.example; dkim=pass (keep 2)\r\n" +
	"Authentication-Results: evil.example; dkim=pass header.d=mx.example.org (keep 3)\r\n" +
	"X-Authentication-Results: mx.example.org; dkim=pass (keep 4)\r\n" +
	"ARC-Authentication-Results: i=1; mx.example.org; dkim=pass (keep 5)\r\n" +
	"Authentication-Results: xn--mx-1ka.example; dkim=pass (keep 6)\r\n" +
	"From: <a@example.com>\r\n" +
	"\r\n" +
	"Authentication-Results: mx.example.org; in the body (keep 7)\r\n"

func TestOwnResults(t *testing.T) {
	raw, fields, err := readHeader(bufio.NewReader(strings.NewReader(ownMessage)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(raw), "From: <a@example.com>\r\n\r\n") {
		t.Fatalf("header section read as %q", raw)
	}
	ranges := ownResults(fields, "mx.example.org")
	kept := strip(ownMessage, ranges)
	if n := strings.Count(kept, "(ours"); n != 0 || len(ranges) != 5 {
		t.Errorf("%d ranges; %d of our fields left:\n%s", len(ranges), n, kept)
	}
	for i := 1; i <= 7; i++ {
		if !strings.Contains(kept, "(keep "+string(rune('0'+i))+")") {
			t.Errorf("field (keep %d) removed:\n%s", i, kept)
		}
	}
	// What is left is the message without exactly those fields.
	want := ownMessage
	for line := range strings.Lines(ownMessage) {
		if strings.Contains(line, "(ours") {
			want = strings.Replace(want, line, "", 1)
		}
	}
	want = strings.Replace(want, "authentication-results : MX.EXAMPLE.ORG.;\r\n", "", 1)
	want = strings.Replace(want, "Authentication-Results: (a comment) mx.example.org;\r\n", "", 1)
	if kept != want {
		t.Errorf("stripped message:\n%s\nwant:\n%s", kept, want)
	}
}

// TestOwnResultsIDN: a U-label authserv-id claims the A-label host name.
func TestOwnResultsIDN(t *testing.T) {
	msg := "Authentication-Results: mx.bücher.example; dkim=pass\r\n\r\n"
	_, fields, _ := readHeader(bufio.NewReader(strings.NewReader(msg)))
	if got := ownResults(fields, "mx.xn--bcher-kva.example"); len(got) != 1 || got[0] != (Range{0, int64(len(msg) - 2)}) {
		t.Errorf("ownResults = %v", got)
	}
}

// strip returns msg without the ranges.
func strip(msg string, ranges []Range) string {
	var b strings.Builder
	var at int64
	for _, r := range ranges {
		b.WriteString(msg[at:r.Start])
		at = r.End
	}
	b.WriteString(msg[at:])
	return b.String()
}

func TestFromDomains(t *testing.T) {
	tests := []struct{ header, want string }{
		{"From: Alice <alice@Example.COM>\r\n", "example.com"},
		{"From: a@one.example, \"B, b\" <b@two.example>\r\n", "one.example two.example"},
		{"From: =?utf-8?q?J=C3=BCrgen?= <j@bücher.example>\r\n", "xn--bcher-kva.example"},
		{"From: =?x-unknown?q?Bank?= <ceo@bank.example>\r\n", "bank.example"},
		{"From: <a@one.example>\r\nFrom: <b@two.example>\r\n", "one.example two.example"},
		{"From: broken <a@one.example> <b@two.example> (\r\n", "one.example two.example"},
		{"From: \"Alice\r\n Smith\" <alice@folded.example>\r\n", "folded.example"},
		{"Sender: <s@sender.example>\r\n", ""},
	}
	for _, tt := range tests {
		raw, fields, err := readHeader(bufio.NewReader(strings.NewReader(tt.header + "\r\nbody\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(fromDomains(raw, fields), " "); got != tt.want {
			t.Errorf("fromDomains(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestReadHeaderOffsets: field ranges cover the field's lines exactly; a
// message without a body is all header.
func TestReadHeaderOffsets(t *testing.T) {
	msg := "A: 1\r\nB: 2\r\n\t3\r\nC: 4"
	raw, fields, err := readHeader(bufio.NewReader(strings.NewReader(msg)))
	if err != nil || string(raw) != msg || len(fields) != 3 {
		t.Fatalf("readHeader = %q %d %v", raw, len(fields), err)
	}
	for i, want := range []string{"A: 1\r\n", "B: 2\r\n\t3\r\n", "C: 4"} {
		if got := msg[fields[i].Start:fields[i].End]; got != want {
			t.Errorf("field %d spans %q, want %q", i, got, want)
		}
	}
}
