package msgauth

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzOwnResults: whatever the header, the ranges to remove are in order,
// inside the header, each exactly one Authentication-Results field;
// removing them leaves no field that claims the id; and the field
// written for the id is never taken for a foreign one.
func FuzzOwnResults(f *testing.F) {
	f.Add(ownMessage)
	for _, s := range []string{
		"Authentication-Results: mx.example.org; spf=pass\r\n\r\n",
		"Authentication-Results:(((\\)))mx.example.org;\r\n",
		"Authentication-Results: \"mx.exam\\\"ple.org\";\n\n",
		"authentication-results:mx.example.org",
		" Authentication-Results: mx.example.org;\r\nX: y\r\n\r\n",
		"Authentication-Results: mx.example.org\r\n  (folded\r\n\tcomment) ;\r\n\r\n",
		"Authentication-Results: \xff\xfe mx.example.org;\r\n",
		"",
	} {
		f.Add(s)
	}
	const id = "mx.example.org"
	f.Fuzz(func(t *testing.T, msg string) {
		raw, fields, err := readHeader(bufio.NewReader(strings.NewReader(msg)))
		if err != nil || !strings.HasPrefix(msg, string(raw)) {
			t.Fatalf("readHeader: %q, %v", raw, err)
		}
		ranges := ownResults(fields, id)
		var last int64
		for _, r := range ranges {
			if r.Start < last || r.End <= r.Start || r.End > int64(len(raw)) {
				t.Fatalf("range %v after %d, header of %d octets", r, last, len(raw))
			}
			name, _, _ := strings.Cut(msg[r.Start:r.End], ":")
			if !strings.EqualFold(strings.TrimSpace(name), fieldName) {
				t.Fatalf("range %v is a %q field", r, name)
			}
			last = r.End
		}
		stripped := strip(msg, ranges)
		_, after, _ := readHeader(bufio.NewReader(strings.NewReader(stripped)))
		if again := ownResults(after, id); len(again) != 0 {
			t.Fatalf("after removal %v still claims %s:\n%q", again, id, stripped)
		}
	})
}

// TestOwnFieldRecognised: the field formatField writes is recognised as
// this server's, so that a second pass (another Petrel node of the same
// name, or mail looping back) removes it.
func TestOwnFieldRecognised(t *testing.T) {
	field := formatField("mx.example.org", []resinfo{{method: "spf", result: "pass",
		props: []prop{{"smtp", "mailfrom", "a@b.example"}}}})
	_, fields, _ := readHeader(bufio.NewReader(strings.NewReader(field + "\r\n")))
	if got := ownResults(fields, "MX.example.org"); len(got) != 1 {
		t.Fatalf("our own field is not recognised: %v\n%s", got, field)
	}
}
