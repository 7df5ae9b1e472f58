package msgmeta

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

// parseChecked parses raw and checks the tree and the JSON round trip.
func parseChecked(t *testing.T, raw string) *Meta {
	t.Helper()
	m := ParseBytes([]byte(raw))
	if err := checkTree([]byte(raw), m); err != nil {
		t.Fatal(err)
	}
	if err := checkRoundTrip(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := Parse(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestParseDegenerate(t *testing.T) {
	tests := []struct {
		raw        string
		hs, bs     int64
		typ        string
		childCount int
	}{
		{"", 0, 0, "text/plain", 0},
		{"\r\n", 2, 0, "text/plain", 0},
		{"\n\nbody", 1, 5, "text/plain", 0},
		{"no colon line\r\n\r\nbody", 17, 4, "text/plain", 0},
		{" continuation first\r\nX: y\r\n\r\n", 29, 0, "text/plain", 0},
		{"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n", 45, 7, "text/plain", 0},
		{"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b", 45, 3, "multipart/mixed", 1},
		{"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b junk\r\n", 45, 10, "text/plain", 0},
		{"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJvbTogYQ==", 67, 12, "application/octet-stream", 0},
		{"Content-Type: message/rfc822\r\n\r\n", 32, 0, "message/rfc822", 0},
		{"Subject: \xff\xfe\x00\r\n\r\n\x00", 16, 1, "text/plain", 0},
		{"\r\r\r\n\r", 5, 0, "text/plain", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.raw), func(t *testing.T) {
			m := parseChecked(t, tt.raw)
			b := m.Body
			if b.HeaderSize != tt.hs || b.BodySize != tt.bs || b.Type+"/"+b.Subtype != tt.typ || len(b.Children) != tt.childCount {
				t.Errorf("got %s/%s hs=%d bs=%d children=%d", b.Type, b.Subtype, b.HeaderSize, b.BodySize, len(b.Children))
			}
		})
	}
}

func TestParseBoundaryPrefix(t *testing.T) {
	// An inner boundary that has the outer one as a prefix is not a
	// delimiter of the outer multipart (RFC 2046 §5.1.1).
	raw := crlf("Content-Type: multipart/mixed; boundary=\"=_abc\"\n\n" +
		"--=_abc\nContent-Type: multipart/alternative; boundary=\"=_abc_1\"\n\n" +
		"--=_abc_1\n\none\n--=_abc_1\n\ntwo\n--=_abc_1--\n" +
		"--=_abc\n\nthree\n--=_abc--\n")
	m := parseChecked(t, raw)
	for path, want := range map[string]string{"1.1": "one", "1.2": "two", "2": "three"} {
		var ps []int
		for _, c := range strings.Split(path, ".") {
			ps = append(ps, int(c[0]-'0'))
		}
		if p := m.Body.Find(ps); p == nil || bodyOf([]byte(raw), p) != want {
			t.Errorf("part %s: %+v", path, p)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	var sb strings.Builder
	for i := range 100 {
		fmt.Fprintf(&sb, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	sb.WriteString("\r\ninnermost\r\n")
	m := parseChecked(t, sb.String())
	depth, p := 0, &m.Body
	for len(p.Children) > 0 {
		p = &p.Children[0]
		depth++
	}
	if depth != maxDepth || p.Type != "text" || p.Subtype != "plain" {
		t.Errorf("depth %d, leaf %s/%s", depth, p.Type, p.Subtype)
	}
}

func TestParseMessageDepthLimit(t *testing.T) {
	raw := strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 100) + "Subject: deep\r\n\r\nx"
	m := parseChecked(t, raw)
	depth, p := 0, &m.Body
	for p.Message != nil {
		p = &p.Message.Body
		depth++
	}
	if depth != maxDepth || p.Type != "text" {
		t.Errorf("depth %d, leaf %s/%s", depth, p.Type, p.Subtype)
	}
}

func TestParsePartsLimit(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		strings.Repeat("--b\r\n\r\nx\r\n", maxParts+500) + "--b--\r\nepilogue"
	m := parseChecked(t, raw)
	ch := m.Body.Children
	if len(ch) != maxParts-1 {
		t.Fatalf("%d children", len(ch))
	}
	last := &ch[len(ch)-1]
	if got := bodyOf([]byte(raw), last); got != strings.Repeat("x\r\n--b\r\n\r\n", 501)+"x" {
		t.Errorf("last part body is %d bytes", len(got))
	}
}

func TestParseHeaderFieldLimit(t *testing.T) {
	raw := strings.Repeat("X: y\r\n", maxFields+10) + "\r\nbody"
	m := parseChecked(t, raw)
	if len(m.Headers) != maxFields || m.Body.HeaderSize != int64(len(raw)-4) {
		t.Errorf("%d fields, header size %d", len(m.Headers), m.Body.HeaderSize)
	}
}
