package smtpclient

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

func TestDotWriter(t *testing.T) {
	for in, want := range map[string]string{
		"":                   ".\r\n",
		"a":                  "a\r\n.\r\n",
		"a\r\n":              "a\r\n.\r\n",
		".\r\n..x\n":         "..\r\n...x\r\n.\r\n",
		"a\r.\r\nb":          "a\r\n..\r\nb\r\n.\r\n", // a bare CR cannot end the data
		"a\n.\nb\r":          "a\r\n..\r\nb\r\n.\r\n",
		"x\r\n\r\n.\r\n\r\n": "x\r\n\r\n..\r\n\r\n.\r\n",
	} {
		var b strings.Builder
		w := bufio.NewWriter(&b)
		if err := copyData(w, strings.NewReader(in), nil); err != nil {
			t.Fatal(err)
		}
		_ = w.Flush()
		if b.String() != want {
			t.Errorf("%q -> %q, want %q", in, b.String(), want)
		}
	}
}

func TestReplyParsing(t *testing.T) {
	for in, want := range map[string]smtpreply.Reply{
		"250 ok\r\n": {Code: 250, Text: "ok"},
		"250\r\n":    {Code: 250},
		"550-5.1.1 no such\r\n550 5.1.1 user\r\n":       {Code: 550, Enhanced: smtpreply.Enhanced{5, 1, 1}, Text: "no such\nuser"},
		"451 5.1.1 class mismatch\r\n":                  {Code: 451, Text: "5.1.1 class mismatch"},
		"250-fake\r\n250-PIPELINING\r\n250 SIZE 10\r\n": {Code: 250, Text: "fake\nPIPELINING\nSIZE 10"},
		// Found by FuzzReply: a line that is only the enhanced code keeps
		// no copy of it in the text, and an enhanced code is digits in
		// RFC 3463 syntax (Atoi took "05", "+1" and "-0").
		"221 2.0.0\r\n":                 {Code: 221, Enhanced: smtpreply.Enhanced{2, 0, 0}},
		"550-5.1.1 no\r\n550 5.1.1\r\n": {Code: 550, Enhanced: smtpreply.Enhanced{5, 1, 1}, Text: "no\n"},
		"500 05.0.0 x\r\n":              {Code: 500, Text: "05.0.0 x"},
		"250 2.+1.0 x\r\n":              {Code: 250, Text: "2.+1.0 x"},
		"550 5.1.-0 x\r\n":              {Code: 550, Text: "5.1.-0 x"},
		"550 5.01.001 x\r\n":            {Code: 550, Enhanced: smtpreply.Enhanced{5, 1, 1}, Text: "x"},
	} {
		got, err := replyFrom(t, in)
		if err != nil || *got != want {
			t.Errorf("%q -> %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"hello\r\n", "250-a\r\n251 b\r\n", "999 x\r\n", "25\r\n"} {
		if r, err := replyFrom(t, bad); err == nil {
			t.Errorf("%q -> %+v, want an error", bad, r)
		}
	}
	long := "250 " + strings.Repeat("x", 10000) + "\r\n"
	if r, err := replyFrom(t, long); err != nil || len(r.Text) != maxLine-4 {
		t.Errorf("long line: %d %v", len(r.Text), err)
	}
	// 100 lines of 2,000 octets: read whole, at most maxText kept (it is
	// stored, logged and bounced per recipient).
	big := strings.Repeat("550-5.1.1 "+strings.Repeat("y", 1990)+"\r\n", maxLines-1) + "550 5.1.1 end\r\n"
	if r, err := replyFrom(t, big); err != nil || r.Code != 550 || len(r.Text) > maxText || !strings.HasPrefix(r.Text, "yyy") {
		t.Errorf("a reply of %d octets: code %v, %d octets of text, %v; want 550 and at most %d", len(big), r, len(r.Text), err, maxText)
	}
}

func replyFrom(t *testing.T, wire string) (*smtpreply.Reply, error) {
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	go func() { _, _ = b.Write([]byte(wire)); _ = b.Close() }()
	return newConn(a).reply(time.Second)
}

func TestEHLOExtensions(t *testing.T) {
	ext := parseEHLO("fake\nsize 1000\nAUTH LOGIN plain\n8BITMIME")
	if ext.maxSize() != 1000 || !ext.authPlain() || !ext.has("8BITMIME") || ext.has("PIPELINING") {
		t.Fatalf("ext = %v", ext)
	}
	if parseEHLO("fake\nSIZE").maxSize() != 0 {
		t.Fatal("SIZE without a number is no limit")
	}
}

// Found by FuzzEHLO: keywords are ASCII (RFC 5321 §4.1.1.1). Upper-casing
// by Unicode rules made the long s of "ſmtputf8" an S, so the client saw
// SMTPUTF8 (and STARTTLS) where the server announced neither.
func TestEHLOKeywordsASCII(t *testing.T) {
	ext := parseEHLO("fake\nſmtputf8\nſtarttlſ\nAUTH=LOGIN PLAIN\nSIZE\t100\n-X\nx-exps y z\nchunking")
	if ext.has("SMTPUTF8") || ext.has("STARTTLS") || ext.maxSize() != 0 {
		t.Errorf("ext = %q: keywords the server did not announce", ext)
	}
	if len(ext) != 2 || ext["X-EXPS"] != "y z" || !ext.has("CHUNKING") {
		t.Errorf("ext = %q, want X-EXPS and CHUNKING only", ext)
	}
}
