package smtpclient

import (
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/mime7bit"
)

// Issue 11: a message with a 100,000-octet header line was relayed as it
// was. Any message stored as it came (a forward from the MX, a bounce
// quoting one) now goes out with no line over 998 octets, to a server
// with 8BITMIME too: header fields folded, parts with long lines as
// quoted-printable, SIZE= the size sent.
func TestLongLinesNeverRelayed(t *testing.T) {
	field := "X-Long:" + strings.Repeat("x", 100_000) // folded only by inserted CRLF SP
	text := strings.Repeat("word ", 400) + "end"
	in := "From: a@petrel.test\r\n" + field + "\r\nSubject: long\r\n\r\n" + text + "\r\n"
	srv, e := oneMX(t, &fakeServer{ext: []string{"8BITMIME", "SIZE 10000000", "PIPELINING"}})
	want(t, e.send("remote.test", msg(in, "a@remote.test")), "250")
	body := unstuff(srv.transcripts()[0].body)
	for i, l := range strings.Split(body, "\r\n") {
		if len(l) > mime7bit.MaxLine {
			t.Fatalf("line %d sent with %d octets", i+1, len(l))
		}
	}
	head, part, _ := strings.Cut(body, "\r\n\r\n")
	if !strings.Contains(strings.ReplaceAll(head, "\r\n ", ""), field+"\r\n") {
		t.Fatal("the long field does not unfold to what it was")
	}
	if !strings.Contains(head, "Content-Transfer-Encoding: quoted-printable") || !strings.Contains(head, "MIME-Version: 1.0") {
		t.Fatalf("header %q", head[len(head)-200:])
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(part)))
	if err != nil || string(dec) != text+"\r\n" {
		t.Fatalf("decoded body %q, %v", dec, err)
	}
	if got := mailLine(t, srv); got != "MAIL FROM:<alice@petrel.test> SIZE="+strconv.Itoa(len(body)) {
		t.Fatalf("MAIL = %q (sent %d octets)", got, len(body))
	}
}

// A message without long lines goes out byte for byte; one whose long
// line cannot be encoded fails with 554 5.6.3 before MAIL (and bounces).
func TestLongLinesOtherwise(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{ext: []string{"8BITMIME"}})
	short := "Subject: x\r\n\r\n" + strings.Repeat("y", mime7bit.MaxLine) + "\r\n"
	want(t, e.send("remote.test", msg(short, "a@remote.test")), "250")
	if got := unstuff(srv.transcripts()[0].body); got != short {
		t.Fatal("a message without long lines was changed")
	}
	b64 := "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUFB", 300) + "\r\n"
	srv, e = oneMX(t, &fakeServer{ext: []string{"8BITMIME"}})
	res := e.send("remote.test", msg(b64, "a@remote.test"))
	want(t, res, "554 5.6.3")
	if !strings.Contains(res[0].Reply.Text, "998") {
		t.Fatalf("reply %q", res[0].Reply.Text)
	}
	for _, l := range srv.transcripts()[0].lines {
		if strings.HasPrefix(l, "MAIL") {
			t.Fatal("MAIL sent for a message that cannot be sent")
		}
	}
}
