package mime7bit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// NoNUL (IMAP APPEND, issue 13): a leaf part whose body holds NUL is
// re-encoded as base64, whatever identity encoding it declares, and the
// rest of the message is copied byte for byte.

const nulHead = "From: bob@example.net\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"

// noNUL scans in for NoNUL and applies the plan.
func noNUL(t *testing.T, in string) (string, error) {
	t.Helper()
	out, p, err := applyFor(t, in, NoNUL)
	if err == nil && !p.Needed() {
		t.Fatalf("a message with NUL needs no conversion: %q", in)
	}
	return out, err
}

// TestNoNULExact pins the output for a binary part, a 7bit part and a
// quoted "binary" field in a multipart: each NUL part's encoding field
// gives way to "base64" at the end of its header, its body is base64 in
// lines of 76 characters with CRLF that decodes to its octets exactly
// (the CRLF before the delimiter stays the delimiter's), and the part
// without NUL (8-bit, in a binary part) is left as it was.
func TestNoNULExact(t *testing.T) {
	content := "\x00\x01\x02 binary\r\n\x00data " + strings.Repeat("z", 60) + "\n\xff"
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	b64 := enc[:76] + "\r\n" + enc[76:] + "\r\n"
	for _, cte := range []string{
		"Content-Transfer-Encoding: binary\r\n",
		"Content-Transfer-Encoding: 7bit\r\n",
		"Content-Transfer-Encoding: 8bit\r\n",
		"Content-Transfer-Encoding: \"binary\"\r\n",
		"Content-Transfer-Encoding: (x) BINARY (y)\r\n",
		"content-transfer-encoding :\r\n\tBinary\r\n",
		"", // none: 7bit (RFC 2045 §6.1)
	} {
		in := nulHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\ncaf\xc3\xa9\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\n" + cte + "Content-ID: <x@y>\r\n\r\n" + content + "\r\n" +
			"--b--\r\nepilogue\r\n"
		out, err := noNUL(t, in)
		if err != nil {
			t.Fatalf("%q: %v", cte, err)
		}
		want := strings.Replace(in, cte+"Content-ID: <x@y>\r\n\r\n"+content+"\r\n",
			"Content-ID: <x@y>\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64+"\r\n", 1)
		if out != want {
			t.Errorf("%q:\ngot  %q\nwant %q", cte, out, want)
		}
	}
}

// TestNoNULWholeBody: a message that is one part keeps every octet of its
// body, its last line end included (it ends the input, not at a
// delimiter), and gets MIME-Version (RFC 2045 §4) when it has none.
func TestNoNULWholeBody(t *testing.T) {
	body := "line\r\nNUL\x00\r\n"
	out, err := noNUL(t, "Subject: x\r\n\r\n"+body)
	if err != nil {
		t.Fatal(err)
	}
	want := "Subject: x\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

// TestNoNULNested: parts inside a message/rfc822 part (declared binary
// itself) and inside a multipart within a multipart are found and
// converted; the decoded leaves are those of the input.
func TestNoNULNested(t *testing.T) {
	for name, in := range map[string]string{
		"rfc822": nulHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
			"Subject: in\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n" +
			"--c\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nx\x00y\r\n--c--\r\n" +
			"\r\n--b--\r\n",
		"rfc822 leaf": nulHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: binary\r\n\r\nSubject: in\r\n\r\nx\x00y\r\n--b--\r\n",
		"multipart in multipart": nulHead + "Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
			"--a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nx\x00y" +
			strings.Repeat("q", 300) + "\r\n--b--\r\n\r\n--a--\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			out, err := noNUL(t, in)
			if err != nil {
				t.Fatal(err)
			}
			if strings.IndexByte(out, 0) >= 0 {
				t.Fatalf("NUL in %q", out)
			}
			if strings.Count(out, "Content-Transfer-Encoding: base64\r\n") != 1 {
				t.Fatalf("not one part in base64: %q", out)
			}
			if want, got := leaves(t, in), leaves(t, out); strings.Join(want, "|") != strings.Join(got, "|") {
				t.Fatalf("decoded parts differ:\nwant %q\ngot  %q", want, got)
			}
			// Converted once: the output needs nothing more.
			if p, err := ScanFor(strings.NewReader(out), NoNUL); err != nil || p.Needed() {
				t.Fatalf("output scanned again: %v, needed %v", err, p != nil && p.Needed())
			}
		})
	}
}

// TestNoNULErrors: NUL where no encoding applies is an error, and NUL
// alone was never an outbound problem (SevenBit and ShortLines ignore it).
func TestNoNULErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		err      error
	}{
		{"header", nulHead + "X-Evil: a\x00b\r\n\r\nabc\x00def\r\n", ErrHeaderNUL},
		{"part header", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Description: \x00\r\n\r\nx\r\n--b--\r\n", ErrHeaderNUL},
		{"inner message header", "Content-Type: message/rfc822\r\n\r\nSubject: \x00\r\n\r\nx\r\n", ErrHeaderNUL},
		{"preamble", "Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: binary\r\n\r\npre\x00amble\r\n--b\r\n\r\nx\r\n--b--\r\n", ErrNUL},
		{"epilogue", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\nx\x00\r\n--b--\r\nepi\x00logue\r\n", ErrNUL},
		{"base64 part", "Content-Transfer-Encoding: base64\r\n\r\nAAAA\x00\r\n", ErrNUL},
		{"quoted-printable part", "Content-Transfer-Encoding: quoted-printable\r\n\r\na\x00\r\n", ErrNUL},
		{"unknown encoding", "Content-Transfer-Encoding: x-uuencode\r\n\r\na\x00\r\n", ErrNUL},
		{"message/partial", "Content-Type: message/partial; id=x; number=1\r\n\r\na\x00\r\n", ErrNUL},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ScanFor(strings.NewReader(c.in), NoNUL)
			if !errors.Is(err, c.err) || !Unconvertible(err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			for _, need := range []Need{SevenBit, ShortLines} {
				if _, err := ScanFor(strings.NewReader(c.in), need); errors.Is(err, ErrNUL) || errors.Is(err, ErrHeaderNUL) {
					t.Fatalf("need %d: %v", need, err)
				}
			}
		})
	}
	// Without NUL, nothing to do: 8-bit octets and long lines stay.
	in := nulHead + "Content-Transfer-Encoding: binary\r\n\r\n\xff" + strings.Repeat("x", 2000) + "\r\n"
	if p, err := ScanFor(strings.NewReader(in), NoNUL); err != nil || p.Needed() {
		t.Fatalf("no NUL: %v, needed %v", err, p != nil && p.Needed())
	}
}

// TestNoNULBoundedMemory: a 16 MiB binary part holding NUL is converted
// with a few buffers, not the message, in memory.
func TestNoNULBoundedMemory(t *testing.T) {
	part := bytes.Repeat([]byte("0123456789abcdef\x00\xff\r\n"), 16<<20/20)
	in := io.MultiReader(strings.NewReader(nulHead+"Content-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Transfer-Encoding: binary\r\n\r\n"), bytes.NewReader(part), strings.NewReader("\r\n--b--\r\n"))
	var all bytes.Buffer
	if _, err := io.Copy(&all, in); err != nil {
		t.Fatal(err)
	}
	msg := all.Bytes()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	p, err := ScanFor(bytes.NewReader(msg), NoNUL)
	if err != nil {
		t.Fatal(err)
	}
	n := &countWriter{}
	if err := p.Apply(bytes.NewReader(msg), n); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 1<<20 {
		t.Errorf("converting %d octets allocated %d octets", len(msg), alloc)
	}
	if want := int64(len(msg)-len(part)) + int64(base64.StdEncoding.EncodedLen(len(part))) +
		2*int64((len(part)+b64Line-1)/b64Line) + int64(len("Content-Transfer-Encoding: base64\r\n")-len("Content-Transfer-Encoding: binary\r\n")); n.n != want {
		t.Errorf("converted to %d octets, want %d", n.n, want)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, 0) >= 0 {
		return 0, errors.New("NUL written")
	}
	c.n += int64(len(p))
	return len(p), nil
}

// FuzzNoNUL: whatever the input, NoNUL either refuses it or gives a
// message without NUL that needs no more conversion; without NUL in the
// input, nothing is converted.
func FuzzNoNUL(f *testing.F) {
	for _, s := range []string{plain8, alternative, nested, rfc822, seven, "a\r\n\r\n\x00",
		nulHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: \"binary\"\r\n\r\nx\x00\r\n--b--\r\n",
		"Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\x00y\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ScanFor(strings.NewReader(in), NoNUL)
		if err != nil {
			if !Unconvertible(err) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !p.Needed() {
			if strings.IndexByte(in, 0) >= 0 {
				t.Fatal("a message with NUL not converted")
			}
			return
		}
		var out bytes.Buffer
		if err := p.Apply(strings.NewReader(in), &out); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if bytes.IndexByte(out.Bytes(), 0) >= 0 {
			t.Fatalf("NUL in the output %q", out.String())
		}
		if q, err := ScanFor(bytes.NewReader(out.Bytes()), NoNUL); err != nil || q.Needed() {
			t.Fatalf("the output scanned again: %v", err)
		}
	})
}
