package mbox

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRoundTrip writes messages with the From-quoting edge cases and
// without a final newline, and reads them back the same.
func TestRoundTrip(t *testing.T) {
	date := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	msgs := []Message{
		{Date: date, Flags: "RAF", Keywords: []string{"$Label1", "work"}, Body: []byte("Subject: a\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\n From not\r\nFrom\r\n")},
		{Date: date.Add(time.Hour), Body: []byte("Subject: no final newline\r\n\r\nlast line")},
		{Date: date.Add(2 * time.Hour), Flags: "T", Body: []byte("Subject: ends with a blank line\r\n\r\nx\r\n\r\n")},
		{Date: date.Add(3 * time.Hour), Body: []byte("Subject: empty body\r\n\r\n")},
		{Date: date.Add(4 * time.Hour), Body: []byte("")},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range msgs {
		if err := w.Write(&msgs[i], bytes.NewReader(msgs[i].Body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n>From here\n>>From there\n>>>From far\n From not\nFrom\n") {
		t.Fatalf("quoting wrong:\n%s", buf.String())
	}
	r := NewReader(&buf, 1<<20)
	for i, want := range msgs {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		// The file has LF line endings: compare with the LF form.
		wantBody := strings.ReplaceAll(string(want.Body), "\r\n", "\n")
		if string(got.Body) != wantBody || !got.Date.Equal(want.Date) || got.Flags != want.Flags || !slices.Equal(got.Keywords, want.Keywords) {
			t.Errorf("message %d: got %q %v %q %q, want %q %v %q %q", i, got.Body, got.Date, got.Flags, got.Keywords,
				wantBody, want.Date, want.Flags, want.Keywords)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last message: %v, want EOF", err)
	}
}

func TestStatusHeadersRemoved(t *testing.T) {
	in := "From a@b Thu Feb  1 10:00:00 2024\nSubject: x\nStatus: RO\nX-Status: A\nX-Keywords: one,\n two\nTo: c\n\nStatus: body stays\n"
	m, err := NewReader(strings.NewReader(in), 1<<20).Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Body) != "Subject: x\nTo: c\n\nStatus: body stays" || m.Flags != "RA" || !slices.Equal(m.Keywords, []string{"one", "two"}) {
		t.Fatalf("got %q %q %q", m.Body, m.Flags, m.Keywords)
	}
	if m.Sender != "a@b" || !m.Date.Equal(time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("From line read as %q %v", m.Sender, m.Date)
	}
}

func TestFromLineDates(t *testing.T) {
	for line, want := range map[string]time.Time{
		"From x Mon Jan  2 15:04:05 2006":       time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC),
		"From x Mon Jan 2 15:04:05 2006 +0100":  time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC),
		"From x Mon Jan 02 15:04:05 -0200 2006": time.Date(2006, 1, 2, 17, 4, 5, 0, time.UTC),
		"From a b c Mon Jan 12 15:04 2006":      time.Date(2006, 1, 12, 15, 4, 0, 0, time.UTC),
		"From x@y":                              {},
		"From x@y Sun nonsense":                 {},
	} {
		if _, got := ParseFromLine(line); !got.Equal(want) {
			t.Errorf("%q: got %v, want %v", line, got, want)
		}
	}
}

func TestNotMboxAndTooBig(t *testing.T) {
	if _, err := NewReader(strings.NewReader("Subject: x\n\nhi\n"), 100).Next(); err != ErrNotMbox {
		t.Fatalf("got %v, want ErrNotMbox", err)
	}
	r := NewReader(strings.NewReader("From a Mon Jan  2 15:04:05 2006\n"+strings.Repeat("x\n", 100)+"\nFrom b Mon Jan  2 15:04:05 2006\nS: y\n\nok\n"), 50)
	m, err := r.Next()
	if err != nil || !m.TooBig || m.Body != nil {
		t.Fatalf("big message: %v %+v", err, m)
	}
	m, err = r.Next()
	if err != nil || string(m.Body) != "S: y\n\nok" || m.Line != 103 {
		t.Fatalf("message after the big one: %v %q line %d", err, m.Body, m.Line)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("From a Mon Jan  2 15:04:05 2006\nStatus: R\n\n>From x\n\nFrom b Tue Jan  3 1:2:3 2006\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1<<16)
		for range 1000 {
			m, err := r.Next()
			if err != nil {
				return
			}
			if len(m.Body) > 1<<16 {
				t.Fatalf("body over the limit: %d", len(m.Body))
			}
		}
	})
}

func FuzzFromLine(f *testing.F) {
	f.Add("From x Mon Jan  2 15:04:05 2006 +0100")
	f.Fuzz(func(t *testing.T, line string) {
		ParseFromLine(line)
	})
}

// FuzzRoundTrip: any body written is read back as its LF form without
// the Status fields' effect (a body with no header fields of that name).
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Subject: x\n\n>From y\nFrom z"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if bytes.Contains(body, []byte("\r")) || bytes.Contains(bytes.ToLower(body), []byte("status")) || bytes.Contains(bytes.ToLower(body), []byte("keywords")) {
			return
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.Write(&Message{}, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		m, err := NewReader(&buf, 1<<20).Next()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Body, body) {
			t.Fatalf("got %q, want %q", m.Body, body)
		}
	})
}
