package imapmsg

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

const fakePDF = "%PDF-1.4 fake pdf content for tests\n"

// TestBinary: BINARY[part] decodes base64 and quoted-printable parts (RFC
// 3516 §4.1), BINARY.SIZE is the decoded size (§4.2); composite parts and
// the whole message are sent as they are.
func TestBinary(t *testing.T) {
	qp := "Deals of the week: 20% off € prices.\r\nUnsubscribe: https://shop.example/u\r\n"
	cases := []struct {
		file string
		s    Section
		want string
	}{
		{"attachment.eml", Section{Part: []int{2}}, strings.Repeat(fakePDF, 3)},
		{"attachment.eml", Section{Part: []int{2}, Partial: &Partial{Offset: 3, Count: 5}}, "F-1.4"},
		{"attachment.eml", Section{Part: []int{2}, Partial: &Partial{Offset: 100, Count: 50}}, "r tests\n"},
		{"attachment.eml", Section{Part: []int{2}, Partial: &Partial{Offset: 108, Count: 1}}, ""},
		{"attachment.eml", Section{Part: []int{1}}, "See attached."},
		{"attachment.eml", Section{Part: []int{4}}, ""},
		{"alternative.eml", Section{Part: []int{1}}, qp},
		{"nested.eml", Section{Part: []int{2}}, nestedInner + nestedInnerText},
		{"minimal.eml", Section{}, "From: a@example.org\r\nSubject: x\r\n\r\nhello"},
		{"minimal.eml", Section{Part: []int{1}}, "hello"},
	}
	for _, c := range cases {
		c.s.Binary = true
		raw, m := load(t, c.file)
		if got := fetch(t, raw, m, c.s); got != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.file, c.s.Name(), got, c.want)
		}
		if c.s.Partial != nil {
			continue
		}
		n, err := BinarySize(m, bytes.NewReader(raw), int64(len(raw)), c.s.Part)
		if err != nil || n != int64(len(c.want)) {
			t.Errorf("%s BINARY.SIZE[%v] = %d, %v; want %d", c.file, c.s.Part, n, err, len(c.want))
		}
	}
}

// TestBinaryUnknownEncoding: RFC 3516 §4.3, NO [UNKNOWN-CTE].
func TestBinaryUnknownEncoding(t *testing.T) {
	raw := []byte("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n")
	m := msgmeta.ParseBytes(raw)
	_, _, err := SectionReader(m, bytes.NewReader(raw), int64(len(raw)), Section{Part: []int{1}, Binary: true})
	var ue UnknownEncodingError
	if !errors.As(err, &ue) || ue.Encoding != "x-uuencode" {
		t.Errorf("BINARY[1] err = %v, want UnknownEncodingError{x-uuencode}", err)
	}
	if _, err := BinarySize(m, bytes.NewReader(raw), int64(len(raw)), []int{1}); !errors.As(err, &ue) {
		t.Errorf("BINARY.SIZE[1] err = %v, want UnknownEncodingError", err)
	}
	// CheckBinary says so without reading the body; the whole message is
	// sent as it is.
	if err := CheckBinary(m, int64(len(raw)), []int{1}); !errors.As(err, &ue) {
		t.Errorf("CheckBinary([1]) = %v, want UnknownEncodingError", err)
	}
	if err := CheckBinary(m, int64(len(raw)), nil); err != nil {
		t.Errorf("CheckBinary([]) = %v", err)
	}
	// BODY[1] of the same part is fine: it is not decoded.
	if got := fetch(t, raw, m, Section{Part: []int{1}}); got != "begin 644 f\r\n" {
		t.Errorf("BODY[1] = %q", got)
	}
}

// decode runs a decoder one byte at a time, so that every state crosses
// a read boundary.
func decode(t *testing.T, dec func(io.Reader) io.Reader, in string) string {
	t.Helper()
	b, err := io.ReadAll(dec(iotest.OneByteReader(strings.NewReader(in))))
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := io.ReadAll(dec(strings.NewReader(in)))
	if string(whole) != string(b) {
		t.Errorf("%q: decoded %q at once, %q byte by byte", in, whole, b)
	}
	return string(b)
}

func TestBase64Lenient(t *testing.T) {
	cases := []struct{ in, want string }{
		{"aGVsbG8=", "hello"},
		{"aGVs\r\nbG8=\r\n", "hello"},
		{"aGVsbG8", "hello"},          // no padding
		{"aGV*s bG!8=", "hello"},      // garbage ignored
		{"YQ==YQ==", "aa"},            // concatenated encodings
		{"YWJj\r\n=\r\nZA==", "abcd"}, // a stray '='
		{"Y", ""},                     // a lone sextet holds no octet
		{"", ""},
	}
	for _, c := range cases {
		if got := decode(t, newBase64Reader, c.in); got != c.want {
			t.Errorf("base64 %q = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQuotedPrintableLenient(t *testing.T) {
	cases := []struct{ in, want string }{
		{"caf=C3=A9", "café"},
		{"caf=c3=a9", "café"},                    // lower-case hex
		{"soft=\r\nbreak", "softbreak"},          // rule 5
		{"soft=  \r\nbreak", "softbreak"},        // white space after the '='
		{"soft=\nbreak", "softbreak"},            // bare LF
		{"trail  \r\nx\t\r\n", "trail\r\nx\r\n"}, // rule 3
		{"a  b", "a  b"},
		{"bad=ZZ", "bad=ZZ"},
		{"half=4", "half=4"},
		{"half=4x", "half=4x"},
		{"end=", "end"},
		{"= x", "= x"},
		{"8-bit é kept", "8-bit é kept"},
		{"a=\r", "a"},
		{"=3D=3d", "=="},
		{"ws at end  ", "ws at end"},
	}
	for _, c := range cases {
		if got := decode(t, newQPReader, c.in); got != c.want {
			t.Errorf("qp %q = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDecoderFor(t *testing.T) {
	for _, enc := range []string{"", "7BIT", "8bit", "Binary", " base64 ", "Quoted-Printable"} {
		if _, ok := decoderFor(enc); !ok {
			t.Errorf("decoderFor(%q): unknown", enc)
		}
	}
	if _, ok := decoderFor("x-uuencode"); ok {
		t.Error("decoderFor(x-uuencode): known")
	}
}
