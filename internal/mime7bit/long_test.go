package mime7bit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// applyFor scans in for need and applies the plan.
func applyFor(t *testing.T, in string, need Need) (string, *Plan, error) {
	t.Helper()
	p, err := ScanFor(strings.NewReader(in), need)
	if err != nil {
		return "", nil, err
	}
	var out bytes.Buffer
	if err := p.Apply(strings.NewReader(in), &out); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out.String(), p, nil
}

// checkShort asserts that no line of out is over MaxLine octets.
func checkShort(t *testing.T, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\r\n") {
		if len(line) > MaxLine {
			t.Fatalf("line %d has %d octets", i+1, len(line))
		}
	}
}

// Issue 11: a header line of 100,000 octets was relayed as it was. Header
// fields are folded (at white space, else with an inserted CRLF SP), and
// unfolding gives the field back.
func TestFoldLongHeaderLines(t *testing.T) {
	words := strings.Repeat("word ", 3000)
	for _, c := range []struct {
		name, field string
		unfold      func(string) string
	}{
		{"white space", "Subject: " + words + "end", func(s string) string { return strings.ReplaceAll(s, "\r\n", "") }},
		// The inserted CRLF SP are the only change.
		{"none", "X-Long:" + strings.Repeat("x", 100_000), func(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }},
		// Folded before the blanks, then forced: spaces are added.
		{"runs of blanks", "X-Blank: a" + strings.Repeat(" ", 3000) + "b", func(s string) string {
			if f := strings.Fields(strings.ReplaceAll(s, "\r\n", "")); len(f) == 3 && len(s) < 3040 {
				return "X-Blank: a" + strings.Repeat(" ", 3000) + "b"
			}
			return s
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := "From: a@example.org\r\n" + c.field + "\r\nTo: b@example.org\r\n\r\nbody\r\n"
			out, p, err := applyFor(t, in, ShortLines)
			if err != nil || !p.Needed() {
				t.Fatalf("ScanFor: %v, needed %v", err, p.Needed())
			}
			checkShort(t, out)
			head, body, _ := strings.Cut(out, "\r\n\r\n")
			if body != "body\r\n" || !strings.HasPrefix(head, "From: a@example.org\r\n") || !strings.HasSuffix(head, "\r\nTo: b@example.org") {
				t.Fatalf("message changed around the field: %q...", out[:200])
			}
			field := strings.TrimSuffix(strings.TrimPrefix(head, "From: a@example.org\r\n"), "\r\nTo: b@example.org")
			if got := c.unfold(field); got != c.field {
				t.Fatalf("unfolded field differs (%d octets, want %d)", len(got), len(c.field))
			}
		})
	}
}

// Body lines over MaxLine: the part is re-encoded as quoted-printable and
// decodes to what it was; 8-bit parts with short lines are left alone
// when only ShortLines is needed.
func TestReencodeLongBodyLines(t *testing.T) {
	long := strings.Repeat("0123456789", 200)
	in := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>" + long + "</p>\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n--b--\r\n"
	out, _, err := applyFor(t, in, ShortLines)
	if err != nil {
		t.Fatal(err)
	}
	checkShort(t, out)
	got := leaves(t, out)
	if len(got) != 2 || got[0] != "text/html: <p>"+long+"</p>" || got[1] != "text/plain: Grüße" {
		t.Fatalf("leaves %q", got)
	}
	if !strings.Contains(out, "Grüße\r\n") {
		t.Fatal("the 8-bit part with short lines was converted")
	}
	// Already short: nothing to do.
	if p, err := ScanFor(strings.NewReader("Subject: x\r\n\r\nGrüße\r\n"), ShortLines); err != nil || p.Needed() {
		t.Fatalf("short 8-bit message: %v %v", err, p.Needed())
	}
}

// Where a long line cannot be re-encoded the message cannot be sent.
func TestLongLineUnencodable(t *testing.T) {
	long := strings.Repeat("A", 1200)
	for name, in := range map[string]string{
		"preamble": "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + long + "\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"base64":   "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + long + "\r\n",
	} {
		if _, err := ScanFor(strings.NewReader(in), ShortLines); !errors.Is(err, ErrLongLine) || !Unconvertible(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestHasLongLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"a\r\n" + strings.Repeat("b", MaxLine) + "\r\nc\r\n", false},
		{"a\r\n" + strings.Repeat("b", MaxLine+1) + "\r\nc\r\n", true},
		{strings.Repeat("b", MaxLine+1), true},         // no line end
		{strings.Repeat("b", 10*lineBuf) + "\n", true}, // several pieces
		{"", false},
	} {
		if got, err := HasLongLine(strings.NewReader(c.in)); err != nil || got != c.want {
			t.Errorf("HasLongLine(%d octets) = %v, %v", len(c.in), got, err)
		}
	}
}
