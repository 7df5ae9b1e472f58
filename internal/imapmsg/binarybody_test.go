package imapmsg

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
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
