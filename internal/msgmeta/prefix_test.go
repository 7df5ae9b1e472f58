package msgmeta

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// tracePrefix is what delivery puts on top of a message it stores.
const tracePrefix = "Return-Path: <a@example.org>\r\n" +
	"Received: from x (x [192.0.2.1])\r\n\tby mx.example.org (Petrel) with ESMTP id abc; Thu, 26 Nov 2026 00:44:17 +0000\r\n"

// samePrefixed fails t unless ParsePrefixed(prefix, raw) and, through a
// file, ParseFilePrefixed equal ParseBytes of the joined message.
func samePrefixed(t *testing.T, name string, prefix, raw []byte) {
	t.Helper()
	want, _ := Marshal(ParseBytes(append(append([]byte{}, prefix...), raw...)))
	got, _ := Marshal(ParsePrefixed(prefix, raw))
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: ParsePrefixed\n%s\nParseBytes of the joined message\n%s", name, got, want)
	}
	// The body lies after other data in its file, as in a spool.
	path := filepath.Join(t.TempDir(), "spool")
	lead := []byte("leading octets not part of the message\r\n")
	if err := os.WriteFile(path, append(append([]byte{}, lead...), raw...), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseFilePrefixed(prefix, f, int64(len(lead)), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ = Marshal(m); !bytes.Equal(got, want) {
		t.Fatalf("%s: ParseFilePrefixed\n%s\nParseBytes of the joined message\n%s", name, got, want)
	}
}

// TestParsePrefixed: the metadata of trace fields plus a message equals
// that of the joined message, for every sample and for the edge cases
// where the two cannot be parsed apart (they are then joined).
func TestParsePrefixed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatal("no samples", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		samePrefixed(t, name, []byte(tracePrefix), raw)
	}
	for _, c := range []struct{ name, prefix, raw string }{
		{"empty message", tracePrefix, ""},
		{"no prefix", "", "Subject: x\r\n\r\nbody\r\n"},
		{"continuation first", tracePrefix, " folded into Received\r\nSubject: x\r\n\r\nb\r\n"},
		{"prefix ends the header", "X: 1\r\n\r\n", "Subject: x\r\n\r\nb\r\n"},
		{"prefix without line end", "X: 1", "Subject: x\r\n\r\nb\r\n"},
		{"prefix with MIME fields", "Content-Type: multipart/mixed; boundary=b\r\n", "Subject: x\r\n\r\n--b\r\n\r\none\r\n--b--\r\n"},
		{"date in prefix", "Date: Thu, 26 Nov 2026 00:44:17 +0000\r\nMessage-ID: <a@b>\r\n", "From: a@b\r\n\r\nx\r\n"},
		{"header only", tracePrefix, "Subject: no body"},
		{"dot lines", ".X: 1\r\n", ".\r\n..\r\n"},
	} {
		samePrefixed(t, c.name, []byte(c.prefix), []byte(c.raw))
	}
}

// FuzzParsePrefixed: ParsePrefixed equals ParseBytes of the joined
// message for any split.
func FuzzParsePrefixed(f *testing.F) {
	f.Add([]byte(tracePrefix), []byte("Subject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("A: 1\n"), []byte(" b\n\nc"))
	f.Fuzz(func(t *testing.T, prefix, raw []byte) {
		want, _ := Marshal(ParseBytes(append(append([]byte{}, prefix...), raw...)))
		got, _ := Marshal(ParsePrefixed(prefix, raw))
		if !bytes.Equal(got, want) {
			t.Fatalf("ParsePrefixed\n%s\njoined\n%s", got, want)
		}
	})
}
