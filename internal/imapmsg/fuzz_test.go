package imapmsg

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// seedCorpus adds the corpus messages, and a few hostile ones, as seeds.
func seedCorpus(f *testing.F, add func(raw []byte)) {
	for _, name := range corpus(f) {
		raw, _ := load(f, name)
		add(raw)
	}
	add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: \"q\\\x00\r\n\r\n--x--"))
	add([]byte("Subject: a\r\n b\rc\r\nContent-Type: text/plain; name*=utf-8''%FF%FE\r\nContent-Transfer-Encoding: base64\r\n\r\n=A=B==\r\n"))
	add(nil)
}

// FuzzSectionReader: random sections of random messages never panic, and
// the content is the announced length and within the bounds of the message.
func FuzzSectionReader(f *testing.F) {
	seedCorpus(f, func(raw []byte) { f.Add(raw, []byte{2, 1}, uint8(0), int64(-1), int64(0), false) })
	f.Add([]byte("From: a\r\n\r\nx"), []byte{1}, uint8(5), int64(0), int64(1), true)
	specs := []string{"", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME", "bogus"}
	f.Fuzz(func(t *testing.T, raw, path []byte, spec uint8, off, count int64, binary bool) {
		s := Section{Specifier: specs[int(spec)%len(specs)], Binary: binary, Fields: []string{"subject", "Content-Type"}}
		for _, n := range path[:min(len(path), 4)] {
			s.Part = append(s.Part, int(n%5))
		}
		if off >= 0 {
			s.Partial = &Partial{Offset: off, Count: count}
		}
		m := msgmeta.ParseBytes(raw)
		r, n, err := SectionReader(m, bytes.NewReader(raw), int64(len(raw)), s)
		if err != nil {
			if _, ok := err.(UnknownEncodingError); ok {
				return
			}
			t.Fatalf("%s: %v", s.Name(), err)
		}
		b, err := io.ReadAll(r)
		if err != nil || int64(len(b)) != n {
			t.Fatalf("%s: announced %d, read %d (%v)", s.Name(), n, len(b), err)
		}
		// HEADER.FIELDS may add a line break and the blank line.
		if n > int64(len(raw))+4 || (s.Partial != nil && n > max(count, 0)) {
			t.Fatalf("%s: %d bytes from a message of %d", s.Name(), n, len(raw))
		}
	})
}

// FuzzWriteBodyStructure: whatever msgmeta makes of random input encodes
// as a valid body and envelope (balanced, well-formed strings, the fields
// of RFC 9051 §9), ASCII-only without UTF-8.
func FuzzWriteBodyStructure(f *testing.F) {
	seedCorpus(f, func(raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := msgmeta.ParseBytes(raw)
		for _, utf8 := range []bool{false, true} {
			for _, ext := range []bool{false, true} {
				var b bytes.Buffer
				WriteBodyStructure(&b, &m.Body, ext, utf8)
				n, err := parseValue(b.String(), utf8)
				if err == nil {
					err = checkBody(n, ext)
				}
				if err != nil {
					t.Fatalf("utf8=%v ext=%v: %v\n%q", utf8, ext, err, b.String())
				}
			}
			var b bytes.Buffer
			WriteEnvelope(&b, &m.Envelope, utf8)
			n, err := parseValue(b.String(), utf8)
			if err == nil {
				err = checkEnvelope(n)
			}
			if err != nil {
				t.Fatalf("ENVELOPE utf8=%v: %v\n%q", utf8, err, b.String())
			}
		}
	})
}

// FuzzDecoders: the lenient decoders never fail, never grow their input,
// and decode the same whatever the read sizes.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{"aGVsbG8=", "YQ==YQ", "caf=C3=A9=\r\n= x=4", "a \t\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, dec := range []func(io.Reader) io.Reader{newBase64Reader, newQPReader} {
			whole, err := io.ReadAll(dec(strings.NewReader(in)))
			if err != nil || len(whole) > len(in) {
				t.Fatalf("%q: %d bytes, %v", in, len(whole), err)
			}
			bytewise, _ := io.ReadAll(dec(iotest.OneByteReader(strings.NewReader(in))))
			if !bytes.Equal(whole, bytewise) {
				t.Fatalf("%q: %q at once, %q byte by byte", in, whole, bytewise)
			}
		}
	})
}

// FuzzMatchText: BODY and TEXT on random messages never fail or panic.
func FuzzMatchText(f *testing.F) {
	seedCorpus(f, func(raw []byte) { f.Add(raw, "deals") })
	f.Fuzz(func(t *testing.T, raw []byte, needle string) {
		m := msgmeta.ParseBytes(raw)
		c := &Candidate{
			Meta: func() (*msgmeta.Meta, error) { return m, nil },
			Body: func() (store.Blob, error) { return newBlob(raw, nil), nil },
		}
		for _, kind := range []SearchKind{Body, Text} {
			if _, err := Match(&SearchKey{Kind: kind, Text: needle}, c); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzTextScanner: streamed, chunked folding finds what folding the
// whole text finds.
func FuzzTextScanner(f *testing.F) {
	f.Add("Grüße aus Köln, STRASSE", "strasse")
	f.Add(strings.Repeat("ǅé", 300)+"x", "éx")
	f.Fuzz(func(t *testing.T, text, needle string) {
		if !utf8.ValidString(text) || !utf8.ValidString(needle) {
			return
		}
		want := strings.Contains(fold(text), fold(needle))
		s := textScanner{f: newFinder(needle)}
		for _, r := range []io.Reader{strings.NewReader(text), iotest.OneByteReader(strings.NewReader(text))} {
			if got, err := s.in(r, 0); err != nil || got != want {
				t.Fatalf("%q in %q: %v, %v; want %v", needle, text, got, err, want)
			}
		}
	})
}
