package imapmsg

import (
	"bytes"
	"io"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// fetch returns the content of a section, checking that the announced
// length is the length read.
func fetch(t *testing.T, raw []byte, m *msgmeta.Meta, s Section) string {
	t.Helper()
	r, n, err := SectionReader(m, bytes.NewReader(raw), int64(len(raw)), s)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: read: %v", s.Name(), err)
	}
	if int64(len(b)) != n {
		t.Errorf("%s: announced %d bytes, read %d", s.Name(), n, len(b))
	}
	return string(b)
}

const nestedInner = "From: Newsletter <news@shop.example>\r\n" +
	"To: bob@example.net\r\n" +
	"Subject: Weekly deals\r\n" +
	"Date: Tue, 04 Jun 2024 08:30:00 +0000\r\n" +
	"Message-ID: <deals-42@shop.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"alt\"\r\n" +
	"\r\n"

const nestedInnerText = "--alt\r\nContent-Type: text/plain\r\n\r\nDeals.\r\n" +
	"--alt\r\nContent-Type: text/html\r\n\r\n<p>Deals.</p>\r\n--alt--\r\n"

// TestSections: byte-exact sections (RFC 9051 §6.4.5), the same bytes
// Dovecot returns for these messages.
func TestSections(t *testing.T) {
	type sec = Section
	p := func(off, n int64) *Partial { return &Partial{Offset: off, Count: n} }
	cases := []struct {
		file string
		s    Section
		want string
	}{
		{"nested.eml", sec{Part: []int{1}}, "See below.\r\n"},
		{"nested.eml", sec{Part: []int{1}, Specifier: "MIME"}, "Content-Type: text/plain; charset=us-ascii\r\n\r\n"},
		{"nested.eml", sec{Part: []int{2}, Specifier: "MIME"}, "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"},
		// A message/rfc822 part's body is the whole encapsulated message.
		{"nested.eml", sec{Part: []int{2}}, nestedInner + nestedInnerText},
		{"nested.eml", sec{Part: []int{2}, Specifier: "HEADER"}, nestedInner},
		{"nested.eml", sec{Part: []int{2}, Specifier: "TEXT"}, nestedInnerText},
		{"nested.eml", sec{Part: []int{2, 1}}, "Deals."},
		{"nested.eml", sec{Part: []int{2, 2}}, "<p>Deals.</p>"},
		{"nested.eml", sec{Part: []int{2, 2}, Specifier: "MIME"}, "Content-Type: text/html\r\n\r\n"},
		{"nested.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"subject", "FROM"}}, "From: Bob <bob@example.net>\r\nSubject: Fwd: Weekly deals\r\n\r\n"},
		{"nested.eml", sec{Part: []int{2}, Specifier: "HEADER.FIELDS", Fields: []string{"Subject"}}, "Subject: Weekly deals\r\n\r\n"},
		{"nested.eml", sec{Part: []int{2}, Specifier: "HEADER.FIELDS.NOT", Fields: []string{"from", "TO", "Date", "message-id", "MIME-Version"}},
			"Subject: Weekly deals\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"},
		{"nested.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"X-Nothing"}}, "\r\n"},
		// Sections that designate nothing are empty.
		{"nested.eml", sec{Part: []int{3}}, ""},
		{"nested.eml", sec{Part: []int{3}, Specifier: "MIME"}, ""},
		{"nested.eml", sec{Part: []int{1}, Specifier: "HEADER"}, ""},
		{"nested.eml", sec{Part: []int{1}, Specifier: "HEADER.FIELDS", Fields: []string{"Subject"}}, ""},
		{"nested.eml", sec{Part: []int{2, 1, 1}}, ""},
		{"nested.eml", sec{Part: []int{0}}, ""},
		{"nested.eml", sec{Specifier: "BOGUS"}, ""},
		// Partials, including past the end.
		{"nested.eml", sec{Part: []int{2, 2}, Partial: p(3, 4)}, "Deal"},
		{"nested.eml", sec{Part: []int{2, 2}, Partial: p(10, 100)}, "/p>"},
		{"nested.eml", sec{Part: []int{2, 2}, Partial: p(13, 5)}, ""},
		{"nested.eml", sec{Part: []int{2, 2}, Partial: p(1<<62, 1<<62)}, ""},
		{"nested.eml", sec{Part: []int{2, 2}, Partial: p(0, 0)}, ""},
		{"nested.eml", sec{Specifier: "HEADER", Partial: p(0, 4)}, "From"},
		{"nested.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"To"}, Partial: p(4, 100)}, "Dan <dan@example.com>\r\n\r\n"},
		{"simple.eml", sec{Specifier: "TEXT", Partial: p(0, 7)}, "Hi Bob,"},
		// Folded fields keep their folding.
		{"simple.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"Subject"}}, "Subject: Lunch\r\n tomorrow?\r\n\r\n"},
		{"simple.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"received"}}, "Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby mail.example.net with ESMTPS id abc123\r\n\tfor <bob@example.net>; Mon, 3 Jun 2024 10:00:01 +0200\r\n\r\n"},
		// Part 1 of a message that is not multipart is its body; its MIME
		// header is the message header.
		{"minimal.eml", sec{Part: []int{1}}, "hello"},
		{"minimal.eml", sec{Part: []int{1}, Specifier: "MIME"}, "From: a@example.org\r\nSubject: x\r\n\r\n"},
		{"minimal.eml", sec{Specifier: "TEXT"}, "hello"},
		{"minimal.eml", sec{}, "From: a@example.org\r\nSubject: x\r\n\r\nhello"},
		{"header-only.eml", sec{Specifier: "HEADER"}, "From: a@example.org\r\nSubject: no body\r\n"},
		{"header-only.eml", sec{Specifier: "TEXT"}, ""},
		{"header-only.eml", sec{Specifier: "HEADER.FIELDS", Fields: []string{"subject"}}, "Subject: no body\r\n\r\n"},
		{"digest.eml", sec{Part: []int{2}, Specifier: "HEADER"}, "From: y@example.org\r\nSubject: second\r\n\r\n"},
		{"digest.eml", sec{Part: []int{2}, Specifier: "TEXT"}, "two"},
		{"digest.eml", sec{Part: []int{1, 1}}, "one"},
		{"digest.eml", sec{Part: []int{1}, Specifier: "MIME"}, "\r\n"},
		{"unclosed.eml", sec{Part: []int{2}}, "second, never closed\r\n"},
	}
	for _, c := range cases {
		raw, m := load(t, c.file)
		if got := fetch(t, raw, m, c.s); got != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.file, c.s.Name(), got, c.want)
		}
	}
}

// TestHeaderFieldsEdges: a last field without a line break, lines that
// are not fields, white space before the colon (RFC 5322 §4.5).
func TestHeaderFieldsEdges(t *testing.T) {
	raw := []byte("junk line\r\nFrom : a@b\r\n continued\r\nX-A: 1\r\nSubject: last")
	m := msgmeta.ParseBytes(raw)
	cases := []struct {
		spec   string
		fields []string
		want   string
	}{
		{"HEADER.FIELDS", []string{"from"}, "From : a@b\r\n continued\r\n\r\n"},
		{"HEADER.FIELDS", []string{"Subject"}, "Subject: last\r\n\r\n"},
		{"HEADER.FIELDS.NOT", []string{"From"}, "X-A: 1\r\nSubject: last\r\n\r\n"},
		{"header.fields.not", []string{"From", "subject", "x-a"}, "\r\n"},
	}
	for _, c := range cases {
		got := fetch(t, raw, m, Section{Specifier: c.spec, Fields: c.fields})
		if got != c.want {
			t.Errorf("%s %v:\n got %q\nwant %q", c.spec, c.fields, got, c.want)
		}
	}
}

// TestSectionsClampToBlob: metadata claiming more bytes than the blob
// holds never makes the reader go past it.
func TestSectionsClampToBlob(t *testing.T) {
	raw, m := load(t, "nested.eml")
	short := raw[:300]
	for _, s := range []Section{{}, {Specifier: "TEXT"}, {Part: []int{2}}, {Part: []int{2, 2}}, {Part: []int{2}, Specifier: "HEADER.FIELDS", Fields: []string{"To"}}} {
		got := fetch(t, short, m, s)
		if len(got) > len(short) {
			t.Errorf("%s: %d bytes from a blob of %d", s.Name(), len(got), len(short))
		}
	}
	if got := fetch(t, raw, nil, Section{Specifier: "TEXT"}); got != string(raw) {
		t.Errorf("without metadata, TEXT = %q, want the whole message", got)
	}
}

func TestSectionName(t *testing.T) {
	cases := []struct {
		s    Section
		want string
	}{
		{Section{}, "BODY[]"},
		{Section{Specifier: "HEADER"}, "BODY[HEADER]"},
		{Section{Part: []int{1, 2}, Specifier: "MIME"}, "BODY[1.2.MIME]"},
		{Section{Part: []int{4}, Specifier: "HEADER.FIELDS", Fields: []string{"From", "X-Odd Name", "a]b"}}, `BODY[4.HEADER.FIELDS (From "X-Odd Name" "a]b")]`},
		{Section{Specifier: "HEADER.FIELDS.NOT", Fields: []string{"To"}, Partial: &Partial{Offset: 5, Count: 10}}, "BODY[HEADER.FIELDS.NOT (To)]<5>"},
		{Section{Part: []int{2}, Binary: true}, "BINARY[2]"},
		{Section{Binary: true, Partial: &Partial{Count: 3}}, "BINARY[]<0>"},
	}
	for _, c := range cases {
		if got := c.s.Name(); got != c.want {
			t.Errorf("Name() = %s, want %s", got, c.want)
		}
	}
}
