package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// TestDeterministic: the same count and seed give the same bytes, another
// seed other bytes.
func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	if _, err := write(&a, 300, 1); err != nil {
		t.Fatal(err)
	}
	write(&b, 300, 1)
	write(&c, 300, 2)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with seed 1 differ")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("seeds 1 and 2 give the same mbox")
	}
}

// TestMessagesParse: every message is a valid RFC 5322 message whose MIME
// structure parses, the mix of kinds and threads is there, and encoded
// words decode.
func TestMessagesParse(t *testing.T) {
	g := newGenerator(42)
	kinds := map[string]int{}
	replies, encoded := 0, 0
	const n = 1000
	for range n {
		m := g.next()
		msg, err := mail.ReadMessage(bytes.NewReader(m.text))
		if err != nil {
			t.Fatalf("message %d: %v\n%s", g.i, err, m.text)
		}
		dec := new(mime.WordDecoder)
		for _, f := range []string{"Subject", "From"} {
			v := msg.Header.Get(f)
			if strings.Contains(v, "=?") {
				encoded++
				if _, err := dec.DecodeHeader(v); err != nil {
					t.Errorf("message %d: %s %q: %v", g.i, f, v, err)
				}
			}
		}
		if msg.Header.Get("In-Reply-To") != "" {
			replies++
			if !strings.HasPrefix(msg.Header.Get("Subject"), "Re: ") && !strings.HasPrefix(msg.Header.Get("Subject"), "=?") {
				t.Errorf("message %d: reply subject %q", g.i, msg.Header.Get("Subject"))
			}
		}
		ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("message %d: Content-Type: %v", g.i, err)
		}
		kinds[ct]++
		if strings.HasPrefix(ct, "multipart/") {
			mr := multipart.NewReader(msg.Body, params["boundary"])
			parts := 0
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("message %d: part %d: %v", g.i, parts, err)
				}
				io.Copy(io.Discard, p)
				parts++
			}
			if parts != 2 {
				t.Errorf("message %d: %d parts, want 2", g.i, parts)
			}
		}
	}
	for _, k := range []struct {
		ct       string
		min, max int
	}{{"text/plain", 380, 520}, {"multipart/alternative", 230, 370}, {"multipart/mixed", 180, 320}} {
		if kinds[k.ct] < k.min || kinds[k.ct] > k.max {
			t.Errorf("%d %s of %d, want %d..%d", kinds[k.ct], k.ct, n, k.min, k.max)
		}
	}
	if replies < 180 || replies > 320 {
		t.Errorf("%d replies of %d, want about a quarter", replies, n)
	}
	if encoded == 0 {
		t.Error("no encoded words")
	}
}

func TestEscapeFrom(t *testing.T) {
	in := "From: a\n\nFrom here\n>From there\nnot From\nFrom"
	want := "From: a\n\n>From here\n>>From there\nnot From\nFrom"
	if got := string(escapeFrom([]byte(in))); got != want {
		t.Errorf("escapeFrom:\n%q\nwant\n%q", got, want)
	}
}
