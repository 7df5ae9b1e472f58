package smtpclient

import (
	"bytes"
	"errors"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/mime7bit"
)

const eightBitMsg = "From: alice@petrel.test\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
	"Grüße aus Köln\r\n.leading dot\r\n" +
	"--b\r\nContent-Type: text/html\r\n\r\n<p>ASCII</p>\r\n--b--\r\n"

// mailLine returns the MAIL command the server received.
func mailLine(t *testing.T, srv *fakeServer) string {
	t.Helper()
	for _, l := range srv.transcripts()[0].lines {
		if strings.HasPrefix(l, "MAIL ") {
			return l
		}
	}
	t.Fatal("no MAIL command")
	return ""
}

// unstuff undoes dot-stuffing (RFC 5321 §4.5.2).
func unstuff(s string) string {
	lines := strings.SplitAfter(s, "\r\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, ".")
	}
	return strings.Join(lines, "")
}

// TestDowngrade: an 8-bit message to a server without 8BITMIME goes out
// converted to 7 bits, without BODY=8BITMIME, and SIZE= is the converted
// size (RFC 6152 §3).
func TestDowngrade(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{ext: []string{"SIZE 1000000", "PIPELINING"}})
	m := msg(eightBitMsg, "a@remote.test")
	m.EightBit = true
	want(t, e.send("remote.test", m), "250")

	var conv bytes.Buffer
	if ok, err := mime7bit.Convert(strings.NewReader(eightBitMsg), &conv); err != nil || !ok {
		t.Fatalf("Convert: %v %v", ok, err)
	}
	if got := mailLine(t, srv); got != "MAIL FROM:<alice@petrel.test> SIZE="+strconv.Itoa(conv.Len()) {
		t.Fatalf("MAIL = %q (converted size %d)", got, conv.Len())
	}
	body := unstuff(srv.transcripts()[0].body)
	if body != conv.String() {
		t.Fatalf("server got\n%q\nwant\n%q", body, conv.String())
	}
	for i := range len(body) {
		if body[i] >= 0x80 {
			t.Fatalf("8-bit octet in %q", body)
		}
	}
	_, part, _ := strings.Cut(body, "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	part, _, _ = strings.Cut(part, "\r\n--b\r\n")
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(part)))
	if err != nil || string(dec) != "Grüße aus Köln\r\n.leading dot" {
		t.Fatalf("decoded %q, %v", dec, err)
	}
	if !strings.Contains(body, "--b\r\nContent-Type: text/html\r\n\r\n<p>ASCII</p>\r\n--b--\r\n") {
		t.Fatalf("7-bit part changed: %q", body)
	}
}

// TestDowngradeNotNeeded: a message declared 8-bit with only 7-bit octets
// goes out byte for byte; to a server with 8BITMIME an 8-bit one does too.
func TestDowngradeNotNeeded(t *testing.T) {
	const seven = "Subject: plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nASCII only\r\n"
	srv, e := oneMX(t, &fakeServer{ext: []string{"SIZE 1000000"}})
	m := msg(seven, "a@remote.test")
	m.EightBit = true
	want(t, e.send("remote.test", m), "250")
	if got := mailLine(t, srv); got != "MAIL FROM:<alice@petrel.test> SIZE="+strconv.Itoa(len(seven)) {
		t.Fatalf("MAIL = %q", got)
	}
	if got := srv.transcripts()[0].body; got != seven {
		t.Fatalf("body changed: %q", got)
	}

	srv, e = oneMX(t, &fakeServer{ext: []string{"8BITMIME"}})
	m = msg(eightBitMsg, "a@remote.test")
	m.EightBit = true
	want(t, e.send("remote.test", m), "250")
	if got := mailLine(t, srv); got != "MAIL FROM:<alice@petrel.test> BODY=8BITMIME" {
		t.Fatalf("MAIL = %q", got)
	}
	if got := unstuff(srv.transcripts()[0].body); got != eightBitMsg {
		t.Fatalf("body changed for a server with 8BITMIME: %q", got)
	}
}

// TestDowngradeRefused: what cannot be made 7-bit fails permanently with
// 5.6.3 (RFC 3463) before MAIL, so the queue bounces it.
func TestDowngradeRefused(t *testing.T) {
	for _, body := range []string{
		"Subject: Grüße\r\n\r\nbody\r\n",
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\xff\x00\r\n",
	} {
		srv, e := oneMX(t, &fakeServer{})
		m := msg(body, "a@remote.test", "b@remote.test")
		m.EightBit = true
		res := e.send("remote.test", m)
		want(t, res, "554 5.6.3", "554 5.6.3")
		if !strings.Contains(res[0].Reply.Text, "8BITMIME") || strings.Contains(res[0].Reply.Text, "mime7bit") {
			t.Fatalf("reply text %q", res[0].Reply.Text)
		}
		for _, l := range srv.transcripts()[0].lines {
			if strings.HasPrefix(l, "MAIL") {
				t.Fatal("MAIL sent for a message that cannot be converted")
			}
		}
	}
}

// TestDowngradeBodyError: a body that cannot be read for the conversion
// is a local temporary failure, without Go error text on the wire.
func TestDowngradeBodyError(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{})
	m := msg("x\r\n", "a@remote.test")
	m.EightBit = true
	m.Body = func() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }
	res := e.send("remote.test", m)
	want(t, res, "451 4.3.0")
	if strings.Contains(res[0].Reply.Text, "fire") {
		t.Fatal("Go error text in the reply")
	}
	for _, l := range srv.transcripts()[0].lines {
		if strings.HasPrefix(l, "MAIL") {
			t.Fatal("MAIL sent although the message could not be read")
		}
	}
}
