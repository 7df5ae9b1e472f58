package header

import (
	"bufio"
	"bytes"
	"errors"
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
	if !errors.Is(err, ErrTooLarge) || string(raw) != "A: 1\r\n" || len(fields) != 1 {
		t.Fatalf("Read with limit: %q %d %v", raw, len(fields), err)
	}
	// A section that ends at the limit exactly, empty line included, is
	// whole; one octet less is not.
	raw, fields, err = Read(bufio.NewReader(strings.NewReader(msg)), len(msg))
	if err != nil || string(raw) != msg || len(fields) != 3 {
		t.Fatalf("Read at the limit: %q %d %v", raw, len(fields), err)
	}
	if _, _, err = Read(bufio.NewReader(strings.NewReader(msg+"body")), len(msg)-1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read one octet short: %v", err)
	}
	// A header without an empty line that ends with the input within the
	// limit is whole.
	if _, _, err = Read(bufio.NewReader(strings.NewReader("A: 1\r\nB: 2")), 20); err != nil {
		t.Fatalf("Read of a header that ends the input: %v", err)
	}
}

// A field folded across the limit, or a second From field past it: Read
// reports the cut instead of handing back the fields before it as the
// whole header (the submission From check read only those).
func TestReadLimitFolded(t *testing.T) {
	pad := strings.Repeat(" x\r\n", 20)
	for name, msg := range map[string]string{
		"folded":       "From: alice@example.org,\r\n" + pad + " CEO <ceo@catch.example>\r\n\r\nbody",
		"second field": "From: alice@example.org\r\nX-Pad: 1\r\n" + pad + "From: ceo@catch.example\r\n\r\nbody",
		"long line":    "From: alice@example.org\r\nX-Pad: " + strings.Repeat("y", 10000) + "\r\n\r\n",
	} {
		_, fields, err := Read(bufio.NewReader(strings.NewReader(msg)), 80)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err %v, want ErrTooLarge", name, err)
		}
		for _, f := range fields {
			if strings.Contains(string(f.Raw), "catch.example") {
				t.Errorf("%s: field past the limit %q", name, f.Raw)
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		names []string // "-" for none
	}{
		{"From: a@b\r\nSubject: x\r\n\r\nFrom\x00: body\r\n", nil},
		{"From\x00: ceo@catch.example\r\n cont\r\nA: 1\r\n\r\n", []string{"From\x00"}},
		{"Fr\xc3\xb6m: x\r\n", []string{"Fr\xc3\xb6m"}},
		{" From: ceo@catch.example\r\nA: 1\r\n\r\n", []string{""}},
		{"A: 1\r\nno colon here\r\n: empty name\r\n", []string{"", ""}},
		{"A: 1\r\n: empty name\r\n", []string{""}},
	} {
		var names []string
		for _, f := range Malformed([]byte(tt.raw)) {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, tt.names) {
			t.Errorf("Malformed(%q) names %q, want %q", tt.raw, names, tt.names)
		}
	}
}

// A malformed line named like From is a From field that does not parse:
// its domains are found and the authors are not readable.
func TestFromSection(t *testing.T) {
	for _, raw := range []string{
		"From: <a@one.example>\r\nFrom\x00: CEO <ceo@catch.example>\r\n\r\n",
		"From: <a@one.example>\r\nfr\x80om : ceo@catch.example\r\n\r\n",
		"From: <a@one.example>\r\nFr om: ceo@catch.example\r\n\r\n",
	} {
		a := FromSection([]byte(raw), scanAll([]byte(raw)))
		if a.Readable() || !slices.Equal(a.Domains(), []string{"one.example", "catch.example"}) {
			t.Errorf("FromSection(%q) = %+v, domains %q", raw, a, a.Domains())
		}
	}
	raw := "From: <a@one.example>\r\nX-From\x00: ceo@catch.example\r\n\r\n"
	if a := FromSection([]byte(raw), scanAll([]byte(raw))); !a.Readable() || len(a.Domains()) != 1 {
		t.Errorf("FromSection(%q) = %+v", raw, a)
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
	f.Add([]byte("From: a@b,\r\n x\r\n x\r\n x\r\n x\r\n CEO <c@d>\r\n\r\nbody body body body body body body"))
	f.Add([]byte("From\x00: c@d\r\nFrom: a@b\r\n\r\n"))
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
		FromSection(raw[:size], fields)
		for _, m := range Malformed(raw[:size]) {
			if m.Start < 0 || m.End > size || !bytes.Equal(raw[m.Start:m.End], m.Raw) {
				t.Fatalf("bad malformed span %+v in %q", m, raw)
			}
		}
		// With a limit: the whole section within it, or ErrTooLarge with
		// only the whole lines before the cut.
		limit := len(raw) / 2
		cut, cutFields, err := Read(bufio.NewReader(bytes.NewReader(raw)), limit)
		switch {
		case errors.Is(err, ErrTooLarge):
			if limit == 0 || size <= limit || len(cut) > limit || !bytes.HasPrefix(raw, cut) ||
				(len(cut) > 0 && cut[len(cut)-1] != '\n') || len(cutFields) > len(fields) {
				t.Fatalf("Read limit %d of %q: cut %q (section %d)", limit, raw, cut, size)
			}
		case err != nil:
			t.Fatal(err)
		case limit > 0 && size > limit, !bytes.Equal(cut, raw[:size]):
			t.Fatalf("Read limit %d of %q: %q, no error (section %d)", limit, raw, cut, size)
		}
	})
}
