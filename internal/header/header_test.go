package header

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/header/headertest"
)

func read(t *testing.T, s string) []Field {
	t.Helper()
	_, fields, err := Read(bufio.NewReader(strings.NewReader(s)), 0)
	if err != nil {
		t.Fatal(err)
	}
	return fields
}

// TestFromCases: the From rule on the shared tricky cases.
func TestFromCases(t *testing.T) {
	for _, c := range headertest.FromCases(t) {
		a := From(read(t, c.Header+"\r\nbody\r\n"))
		var got []string
		for _, addr := range a.Addresses {
			got = append(got, addr.Address)
		}
		if !slices.Equal(got, c.Authors) || !slices.Equal(a.Domains(), c.Domains) ||
			a.Fields != c.Fields || a.Readable() != c.Readable {
			t.Errorf("%s: authors %q domains %q fields %d readable %v, want %q %q %d %v", c.Name,
				got, a.Domains(), a.Fields, a.Readable(), c.Authors, c.Domains, c.Fields, c.Readable)
		}
	}
}

func TestScan(t *testing.T) {
	raw := " lead\r\nA: 1\r\nB : 2\r\n\t3\r\nno colon\r\nbad name\x01: x\r\nC:4\r\n\r\nbody: no\r\n"
	var got []string
	size, ended := Scan([]byte(raw), func(f Field) bool {
		got = append(got, f.Name+"="+f.Value()+"|"+raw[f.Start:f.End])
		return true
	})
	want := []string{"A=1|A: 1\r\n", "B=2\t3|B : 2\r\n\t3\r\n", "C=4|C:4\r\n"}
	if !slices.Equal(got, want) || size != strings.Index(raw, "body") || !ended {
		t.Fatalf("Scan: %q size %d ended %v, want %q size %d", got, size, ended, want, strings.Index(raw, "body"))
	}
	// Without an empty line all is header; fn can stop the fields.
	n := 0
	size, ended = Scan([]byte("A: 1\r\nB: 2"), func(Field) bool { n++; return false })
	if size != 10 || ended || n != 1 {
		t.Fatalf("Scan without end: size %d ended %v fields %d", size, ended, n)
	}
}

func TestReadLimit(t *testing.T) {
	msg := "A: 1\r\nB: " + strings.Repeat("x", 100) + "\r\nC: 3\r\n\r\n"
	raw, fields, err := Read(bufio.NewReader(strings.NewReader(msg)), 50)
	if err != nil || string(raw) != "A: 1\r\n" || len(fields) != 1 {
		t.Fatalf("Read with limit: %q %d %v", raw, len(fields), err)
	}
}

func TestUnfold(t *testing.T) {
	for in, want := range map[string]string{
		" a\r\n b\r\n":   "a b",
		" a\n\tb":        "a\tb",
		" a\rb\r":        "a\rb",
		"\t x \r\n\t \n": "x",
	} {
		if got := Unfold([]byte(in)); got != want {
			t.Errorf("Unfold(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzScan: Scan and Read agree on any input, and every field lies in
// the header, starts with its name and is a valid field.
func FuzzScan(f *testing.F) {
	f.Add([]byte("From: a@b\r\nSubject: x\r\n\r\nbody"))
	f.Add([]byte(" lead\nA : 1\n\tfold\nno colon\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var scanned []Field
		size, ended := Scan(raw, func(f Field) bool {
			scanned = append(scanned, f)
			return true
		})
		if size > len(raw) || (ended && !IsBlank(raw[bytes.LastIndexByte(raw[:size-1], '\n')+1:size])) {
			t.Fatalf("size %d ended %v of %q", size, ended, raw)
		}
		prev := 0
		for _, f := range scanned {
			name, ok := Name(f.Raw)
			if f.Start < prev || f.End > size || !bytes.Equal(raw[f.Start:f.End], f.Raw) || !ok || string(name) != f.Name ||
				strings.Contains(f.Value(), "\n") {
				t.Fatalf("bad field %+v in %q", f, raw)
			}
			prev = f.End
		}
		got, fields, err := Read(bufio.NewReader(bytes.NewReader(raw)), 0)
		if err != nil || !bytes.Equal(got, raw[:size]) || len(fields) != len(scanned) {
			t.Fatalf("Read %q (%d fields, %v), Scan %q (%d fields)", got, len(fields), err, raw[:size], len(scanned))
		}
		From(fields) // must not panic
	})
}
