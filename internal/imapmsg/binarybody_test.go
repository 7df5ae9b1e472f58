package imapmsg

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// TestBase64Lines: the encoder's output is base64 in lines of 76
// characters with CRLF, as long as base64Size says, at every length
// around a line's end.
func TestBase64Lines(t *testing.T) {
	for _, n := range []int{1, 2, 3, 56, 57, 58, 113, 114, 115, 1000} {
		in := bytes.Repeat([]byte{0, 0xff, 'a'}, n)[:n]
		out, err := io.ReadAll(&base64Lines{src: bufio.NewReader(bytes.NewReader(in))})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(out)) != base64Size(int64(n)) {
			t.Errorf("%d octets: %d characters, base64Size %d", n, len(out), base64Size(int64(n)))
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
		for i, l := range lines {
			if len(l) > 76 || (i < len(lines)-1 && len(l) != 76) {
				t.Errorf("%d octets: line %d has %d characters", n, i, len(l))
			}
		}
		if got, err := base64.StdEncoding.DecodeString(strings.Join(lines, "")); err != nil || !bytes.Equal(got, in) {
			t.Errorf("%d octets: decodes to %q, %v", n, got, err)
		}
	}
}

// ServedForm converts a binary part holding NUL, inside an encapsulated
// message too, whatever the case and folding of its encoding field; it
// leaves a message without one as it is, and the converted message's
// metadata describes it.
func TestServedForm(t *testing.T) {
	inner := "Subject: inner\r\nContent-Type: application/octet-stream\r\ncontent-transfer-encoding :\r\n\tBINARY\r\n\r\n\x00\x00abc\r\n"
	raw := "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Transfer-Encoding: binary\r\n\r\nno nul here\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--b--\r\n"
	meta := msgmeta.ParseBytes([]byte(raw))
	if !MayConvert(meta) {
		t.Fatal("MayConvert: false, want true")
	}
	sv, err := ServedForm(meta, strings.NewReader(raw), int64(len(raw)))
	if err != nil || !sv.Converted {
		t.Fatalf("ServedForm: converted %v, %v", sv.Converted, err)
	}
	conv := make([]byte, sv.Size)
	sv.Body.ReadAt(conv, 0)
	want := strings.Replace(raw, "content-transfer-encoding :\r\n\tBINARY\r\n\r\n\x00\x00abc\r\n",
		"Content-Transfer-Encoding: base64\r\n\r\nAABhYmM=\r\n\r\n", 1)
	if string(conv) != want {
		t.Errorf("served\n%q\nwant\n%q", conv, want)
	}
	p := sv.Meta.Body.Find([]int{2}).Message.Body
	if !strings.EqualFold(p.Encoding, "base64") || p.BodySize != int64(len("AABhYmM=\r\n")) {
		t.Errorf("converted part: encoding %q, %d octets", p.Encoding, p.BodySize)
	}
	if first := sv.Meta.Body.Find([]int{1}); first.Encoding != "binary" {
		t.Errorf("part 1 (no NUL) has encoding %q, want binary kept", first.Encoding)
	}

	plain := "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\nno nul\r\n"
	pm := msgmeta.ParseBytes([]byte(plain))
	sv, err = ServedForm(pm, strings.NewReader(plain), int64(len(plain)))
	if err != nil || sv.Converted || sv.Meta != pm || sv.Size != int64(len(plain)) {
		t.Errorf("a binary message without NUL: converted %v, %v", sv.Converted, err)
	}
	if MayConvert(msgmeta.ParseBytes([]byte("Subject: x\r\n\r\nhi\r\n"))) {
		t.Error("MayConvert of a 7bit message: true")
	}
}
