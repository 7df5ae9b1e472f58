package mime7bit

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

func convert(t *testing.T, in string) (string, bool, error) {
	t.Helper()
	var out bytes.Buffer
	converted, err := Convert(strings.NewReader(in), &out)
	return out.String(), converted, err
}

// check7Bit asserts that every octet is below 0x80 and no line is longer
// than 78 characters before its line end.
func check7Bit(t *testing.T, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if n := len(strings.TrimSuffix(line, "\r")); n > 78 {
			t.Errorf("line %d has %d characters: %q", i+1, n, line)
		}
		for j := range len(line) {
			if line[j] >= 0x80 {
				t.Fatalf("line %d has the 8-bit octet %#x: %q", i+1, line[j], line)
			}
		}
	}
}

// leaves decodes a message with go-message, an independent MIME reader,
// and lists its leaf parts (inside message/rfc822 parts too) as
// "type: decoded body" with LF line ends.
func leaves(t *testing.T, msg string) []string {
	t.Helper()
	e, err := message.Read(strings.NewReader(msg))
	if err != nil {
		t.Fatalf("go-message cannot read %q: %v", msg, err)
	}
	var out []string
	walkLeaves(t, e, "text/plain", &out)
	return out
}

// walkLeaves adds the leaves of e; def is its type without the field.
func walkLeaves(t *testing.T, e *message.Entity, def string, out *[]string) {
	t.Helper()
	mt, _, _ := mime.ParseMediaType(e.Header.Get("Content-Type"))
	if mt == "" {
		mt = def
	}
	if mr := e.MultipartReader(); mr != nil {
		def = "text/plain"
		if mt == "multipart/digest" {
			def = "message/rfc822"
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("next part: %v", err)
			}
			walkLeaves(t, p, def, out)
		}
	}
	if mt == "message/rfc822" {
		inner, err := message.Read(e.Body)
		if err != nil {
			t.Fatalf("inner message: %v", err)
		}
		walkLeaves(t, inner, "text/plain", out)
		return
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		t.Fatalf("body of %s: %v", mt, err)
	}
	*out = append(*out, mt+": "+strings.ReplaceAll(string(b), "\r\n", "\n"))
}

const (
	plain8 = "From: a@example.org\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
		"Subject: hi\r\n\r\nGrüße aus Köln\r\n= and trailing space \r\n.dot\r\n"
	alternative = "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain ASCII =x\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>naïve</p>\r\n" +
		"--b1--\r\nepilogue\r\n"
	nested = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÅngström\r\n--inner--\r\n" +
		"--outer\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n" +
		"--outer--\r\n"
	rfc822 = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
		"--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--m\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"From: b@example.org\r\nSubject: inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nçà et là\r\n" +
		"--m--\r\n"
	seven = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" +
		"--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nonly ASCII\r\n--x--\r\n"
)

func TestConvert(t *testing.T) {
	long76 := strings.Repeat("é", 38)       // 76 octets
	long77 := "x" + strings.Repeat("é", 38) // 77 octets
	cases := []struct {
		name, in  string
		converted bool
	}{
		{"plain 8-bit", plain8, true},
		{"not MIME", "From: a@example.org\r\n\r\n8-bit \xe9t\xe9\r\n", true},
		{"alternative", alternative, true},
		{"nested", nested, true},
		{"message/rfc822", rfc822, true},
		{"digest", "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: s\r\n\r\nþ\r\n--d--\r\n", true},
		{"already 7-bit", seven, false},
		{"76 octets", "Content-Type: text/plain; charset=utf-8\r\n\r\n" + long76 + "\r\n" + strings.Repeat("a", 76) + "\r\n", true},
		{"77 octets", "Content-Type: text/plain; charset=utf-8\r\n\r\n" + long77 + "\r\n" + strings.Repeat("a", 77) + "\r\né", true},
		{"bare LF", strings.ReplaceAll(alternative, "\r\n", "\n"), true},
		{"bare CR", "Content-Type: text/plain; charset=utf-8\r\n\r\nà\rb\r\n", true},
		{"long line", "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("ab ü ", 5000) + "\r\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, converted, err := convert(t, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if converted != c.converted {
				t.Fatalf("converted = %v", converted)
			}
			if !converted && out != c.in {
				t.Fatalf("7-bit message changed:\n%q\n%q", c.in, out)
			}
			check7Bit(t, out)
			want, got := leaves(t, c.in), leaves(t, out)
			if strings.Join(want, "|") != strings.Join(got, "|") {
				t.Fatalf("decoded parts differ:\nwant %q\ngot  %q\noutput %q", want, got, out)
			}
		})
	}
}

// TestConvertExact pins the output: the Content-Transfer-Encoding field
// replaced at the end of the header, the encoding, and the 7-bit part,
// boundaries, preamble and epilogue copied byte for byte.
func TestConvertExact(t *testing.T) {
	out, _, err := convert(t, plain8)
	if err != nil {
		t.Fatal(err)
	}
	want := "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Subject: hi\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Gr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n=3D and trailing space=20\r\n.dot\r\n"
	if out != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	out, _, err = convert(t, alternative)
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(alternative, "Content-Transfer-Encoding: 8bit\r\n\r\n<p>naïve</p>",
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>na=C3=AFve</p>", 1)
	if out != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	out, _, err = convert(t, "Subject: x\n\n\xe9\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Subject: x\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\n=E9\r\n"; out != want {
		t.Fatalf("not MIME: got %q, want %q", out, want)
	}
}

func TestConvertErrors(t *testing.T) {
	cases := []struct {
		name, in string
		err      error
	}{
		{"8-bit header", "Subject: Grüße\r\n\r\nbody\r\n", ErrHeader8Bit},
		{"8-bit part header", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Description: é\r\n\r\nx\r\n--b--\r\n", ErrHeader8Bit},
		{"8-bit header, 7-bit body", "Subject: \xff\r\n\r\nbody\r\n", ErrHeader8Bit},
		{"binary", "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\xff\r\n", ErrBinary},
		{"8-bit base64", "Content-Transfer-Encoding: base64\r\n\r\n\xff\r\n", ErrUnencodable},
		{"8-bit preamble", "Content-Type: multipart/mixed; boundary=b\r\n\r\n\xe9\r\n--b\r\n\r\nx\r\n--b--\r\n", ErrUnencodable},
		{"8-bit epilogue", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n\xe9", ErrUnencodable},
		{"encoded multipart", "Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n--b\r\n\r\n\xe9\r\n--b--\r\n", ErrUnencodable},
		{"too deep", strings.Repeat("Content-Type: message/rfc822\r\n\r\n", maxDepth+1) + "\xe9\r\n", ErrLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := convert(t, c.in)
			if !errors.Is(err, c.err) || !Unconvertible(err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
		})
	}
	// Within the limits, and the same structures when 7-bit, all is well.
	for _, in := range []string{
		strings.Repeat("Content-Type: message/rfc822\r\n\r\n", maxDepth-1) + "\r\n\xe9\r\n",
		strings.Repeat("Content-Type: message/rfc822\r\n\r\n", maxDepth+1) + "e\r\n",
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\r\n",
	} {
		out, _, err := convert(t, in)
		if err != nil {
			t.Fatalf("%.40q: %v", in, err)
		}
		check7Bit(t, out)
	}
}

// TestSoftBreakBeforeDash: a soft line break just before "--b" must not
// make a line that reads as the enclosing multipart's delimiter.
func TestSoftBreakBeforeDash(t *testing.T) {
	line := strings.Repeat("é", 25) + "--b" // 75 encoded characters, then "--b"
	in := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		line + "\r\n--b\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--b--\r\n"
	out, _, err := convert(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "=\r\n--b\r\n") {
		t.Fatalf("a soft break made a delimiter line: %q", out)
	}
	if !strings.Contains(out, "=\r\n=2D-b\r\n") {
		t.Fatalf("the dash after the soft break is not encoded: %q", out)
	}
	if want, got := leaves(t, in), leaves(t, out); strings.Join(want, "|") != strings.Join(got, "|") {
		t.Fatalf("want %q, got %q", want, got)
	}
}

// TestLineSplitAtBuffer: a CRLF that falls across the line buffer stays
// one line end, and a boundary after a very long line is still seen.
func TestLineSplitAtBuffer(t *testing.T) {
	for _, n := range []int{lineBuf - 2, lineBuf - 1, lineBuf, lineBuf + 1} {
		body := strings.Repeat("a", n-2) + "\xe9" + "\r\n"
		in := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n" + body + "--b--\r\n"
		out, _, err := convert(t, in)
		if err != nil {
			t.Fatal(err)
		}
		check7Bit(t, out)
		if want, got := leaves(t, in), leaves(t, out); strings.Join(want, "|") != strings.Join(got, "|") {
			t.Fatalf("n=%d: decoded parts differ", n)
		}
	}
}

// TestApplyChanged: a plan applied to another message is an error, not a
// half-converted message.
func TestApplyChanged(t *testing.T) {
	p, err := Scan(strings.NewReader(plain8))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(strings.NewReader(seven), io.Discard)
	if !errors.Is(err, errChanged) || Unconvertible(err) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzConvert(f *testing.F) {
	for _, s := range []string{plain8, alternative, nested, rfc822, seven, "a\r\n\r\n\xe9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		converted, err := Convert(strings.NewReader(in), &out)
		if err != nil {
			if !Unconvertible(err) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !converted {
			if out.String() != in {
				t.Fatal("unconverted message changed")
			}
			if has8Bit([]byte(in)) {
				t.Fatal("8-bit message not converted")
			}
			return
		}
		if has8Bit(out.Bytes()) {
			t.Fatalf("8-bit output %q", out.String())
		}
	})
}

// BenchmarkConvert: a 1 MiB 8-bit text/plain message, scanned and written.
func BenchmarkConvert(b *testing.B) {
	in := "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("Grüße aus Köln, ça va très bien.\r\n", 1<<20/36)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Convert(strings.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
