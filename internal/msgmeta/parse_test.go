package msgmeta

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantPart is what a test expects of the part at an IMAP section path.
type wantPart struct {
	path   string // "" is the root body; otherwise "1.2" etc.
	typ    string // type/subtype as written
	params string // "name=value;..." as Params, "" for none
	header string // exact header bytes, when not ""
	body   string // exact body bytes
	lines  int64
}

func parsePath(t *testing.T, s string) []int {
	t.Helper()
	if s == "" {
		return nil
	}
	var path []int
	for f := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad path %q", s)
		}
		path = append(path, n)
	}
	return path
}

func paramString(ps []Param) string {
	var fs []string
	for _, p := range ps {
		fs = append(fs, p.Name+"="+p.Value)
	}
	return strings.Join(fs, ";")
}

var parseCases = []struct {
	file  string
	parts []wantPart
	check func(t *testing.T, m *Meta)
}{
	{file: "simple.eml", parts: []wantPart{
		{path: "", typ: "text/plain", params: "charset=utf-8;format=flowed", lines: 6,
			body: crlf("Hi Bob,\n\nLunch at noon? Café on the corner.\n\n-- \nAlice\n")},
		{path: "1", typ: "text/plain", params: "charset=utf-8;format=flowed", lines: 6,
			body: crlf("Hi Bob,\n\nLunch at noon? Café on the corner.\n\n-- \nAlice\n")},
	}, check: checkSimple},
	{file: "alternative.eml", parts: []wantPart{
		{path: "", typ: "multipart/alternative", params: "boundary=----=_Part_12345_67890.1717489800000"},
		{path: "1", typ: "text/plain", params: "charset=UTF-8", lines: 2,
			header: crlf("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n"),
			body:   crlf("Deals of the week: 20% off =E2=82=AC prices.\nUnsubscribe: https://shop.example/u\n")},
		{path: "2", typ: "text/html", params: "charset=UTF-8", lines: 1,
			body: "<html><body><p>Deals of the week: 20% off</p></body></html>"},
	}},
	{file: "attachment.eml", parts: []wantPart{
		{path: "1", typ: "text/plain", header: "Content-Type: text/plain\r\n\r\n", body: "See attached.", lines: 1},
		{path: "2", typ: "application/pdf", params: "name=€ rates 2024.pdf",
			body: crlf("JVBERi0xLjQgZmFrZSBwZGYgY29udGVudCBmb3IgdGVzdHMKJVBERi0xLjQgZmFrZSBwZGYgY29u\n" +
				"dGVudCBmb3IgdGVzdHMKJVBERi0xLjQgZmFrZSBwZGYgY29udGVudCBmb3IgdGVzdHMK")},
		{path: "3", typ: "text/plain", params: "name*=x-unknown''a%FFb", body: "Résumé", lines: 1},
	}, check: checkAttachment},
	{file: "nested.eml", parts: []wantPart{
		{path: "1", typ: "text/plain", params: "charset=us-ascii", body: "See below.\r\n", lines: 1},
		{path: "2", typ: "message/rfc822", header: crlf("Content-Type: message/rfc822\nContent-Disposition: inline\n\n"), lines: 17},
		{path: "2.1", typ: "text/plain", header: "Content-Type: text/plain\r\n\r\n", body: "Deals.", lines: 1},
		{path: "2.2", typ: "text/html", body: "<p>Deals.</p>", lines: 1},
	}, check: checkNested},
	{file: "encoded.eml", parts: []wantPart{
		{path: "1", typ: "text/plain", params: "charset=utf-8", body: "Grüße\r\n", lines: 1},
	}, check: checkEncoded},
	{file: "groups.eml", check: checkGroups},
	{file: "minimal.eml", parts: []wantPart{
		{path: "", typ: "text/plain", params: "charset=us-ascii", body: "hello", lines: 1,
			header: "From: a@example.org\r\nSubject: x\r\n\r\n"},
	}, check: checkMinimal},
	{file: "bare-lf.eml", parts: []wantPart{
		{path: "", typ: "multipart/mixed", params: "boundary=b1"},
		{path: "1", typ: "text/plain", header: "Content-Type: text/plain\n\n", body: "one\ntwo", lines: 2},
		{path: "2", typ: "text/plain", params: "charset=us-ascii", header: "\n", body: "no header here", lines: 1},
	}},
	{file: "header-only.eml", parts: []wantPart{
		{path: "", typ: "text/plain", params: "charset=us-ascii", header: "From: a@example.org\r\nSubject: no body\r\n"},
	}},
	{file: "digest.eml", parts: []wantPart{
		{path: "1", typ: "message/rfc822", header: "\r\n", body: crlf("From: x@example.org\nSubject: first\n\none"), lines: 4},
		{path: "1.1", typ: "text/plain", params: "charset=us-ascii", body: "one", lines: 1},
		{path: "2.1", typ: "text/plain", params: "charset=us-ascii", body: "two", lines: 1},
	}},
	{file: "no-boundary.eml", parts: []wantPart{
		{path: "1", typ: "text/plain", lines: 5,
			body: crlf("--whatever\nContent-Type: text/plain\n\ntext\n--whatever--\n")},
	}},
	{file: "unclosed.eml", parts: []wantPart{
		{path: "1", typ: "text/plain", body: "first", lines: 1},
		{path: "2", typ: "text/plain", body: "second, never closed\r\n", lines: 1},
	}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readTestdata(t, tc.file)
			m, err := Parse(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if err := checkTree(raw, m); err != nil {
				t.Fatal(err)
			}
			if err := checkRoundTrip(m); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.parts {
				checkWantPart(t, raw, m, w)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func checkWantPart(t *testing.T, raw []byte, m *Meta, w wantPart) {
	t.Helper()
	p := m.Body.Find(parsePath(t, w.path))
	if p == nil {
		t.Fatalf("part %q not found", w.path)
	}
	if got := p.Type + "/" + p.Subtype; got != w.typ {
		t.Errorf("part %q: type %s, want %s", w.path, got, w.typ)
	}
	if got := paramString(p.Params); got != w.params {
		t.Errorf("part %q: params %q, want %q", w.path, got, w.params)
	}
	if got := headerOf(raw, p); w.header != "" && got != w.header {
		t.Errorf("part %q: header %q, want %q", w.path, got, w.header)
	}
	if got := bodyOf(raw, p); w.body != "" && got != w.body {
		t.Errorf("part %q: body %q, want %q", w.path, got, w.body)
	}
	if p.Lines != w.lines {
		t.Errorf("part %q: %d lines, want %d", w.path, p.Lines, w.lines)
	}
}

// checkEnvelope compares a whole envelope.
func checkEnvelope(t *testing.T, got, want Envelope) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("envelope %+v\nwant %+v", got, want)
	}
}

func checkSimple(t *testing.T, m *Meta) {
	wantEnv := Envelope{
		Date:    "Mon, 3 Jun 2024 10:00:00 +0200 (CEST)",
		Subject: "Lunch tomorrow?",
		From:    []Address{{Name: "Alice Example", Mailbox: "alice", Host: "example.org"}},
		To: []Address{
			{Name: "Bob, the Builder", Mailbox: "bob", Host: "example.net"},
			{Name: "Carol C", Mailbox: "carol", Host: "example.net"},
		},
		MessageID: "<20240603100000.1234@example.org>",
	}
	wantEnv.Sender, wantEnv.ReplyTo = wantEnv.From, wantEnv.From
	checkEnvelope(t, m.Envelope, wantEnv)
	if want := time.Date(2024, 6, 3, 8, 0, 0, 0, time.UTC); !m.SentDate.Equal(want) {
		t.Errorf("SentDate %v, want %v", m.SentDate, want)
	}
	if m.Body.Encoding != "8bit" {
		t.Errorf("encoding %q", m.Body.Encoding)
	}
	if len(m.Headers) != 10 || m.Headers[0].Name != "Return-Path" || m.Headers[9].Name != "Content-Transfer-Encoding" {
		t.Fatalf("headers %+v", m.Headers)
	}
	want := "from mx.example.org (mx.example.org [192.0.2.1])\tby mail.example.net with ESMTPS id abc123" +
		"\tfor <bob@example.net>; Mon, 3 Jun 2024 10:00:01 +0200"
	if m.Headers[1].Value != want {
		t.Errorf("Received %q, want %q", m.Headers[1].Value, want)
	}
}

func checkAttachment(t *testing.T, m *Meta) {
	p := m.Body.Find([]int{2})
	want := Part{Type: "application", Subtype: "pdf", Params: p.Params,
		ID: "<part1.abc@example.net>", Description: "Rates", Encoding: "base64",
		MD5: "Q2hlY2sgSW50ZWdyaXR5IQ==", Disposition: "attachment",
		DispParams: []Param{{"filename", "€ rates 2024.pdf"}, {"size", "108"}},
		Language:   []string{"en", "de"}, Location: "http://example.net/rates.pdf",
		Offset: p.Offset, HeaderSize: p.HeaderSize, BodySize: p.BodySize}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("part 2 %+v\nwant %+v", *p, want)
	}
	p3 := m.Body.Find([]int{3})
	if p3.Disposition != "inline" || paramString(p3.DispParams) != "filename=résumé.txt" {
		t.Errorf("part 3 disposition %q %+v", p3.Disposition, p3.DispParams)
	}
}

func checkNested(t *testing.T, m *Meta) {
	p := m.Body.Find([]int{2})
	inner := p.Message
	if inner.Envelope.Subject != "Weekly deals" || inner.Envelope.MessageID != "<deals-42@shop.example>" {
		t.Errorf("inner envelope %+v", inner.Envelope)
	}
	if inner.Headers != nil || inner.Version != Version {
		t.Errorf("inner Headers %v, Version %d", inner.Headers, inner.Version)
	}
	if !inner.SentDate.Equal(time.Date(2024, 6, 4, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("inner SentDate %v", inner.SentDate)
	}
	if b := &inner.Body; b.Type != "multipart" || b.Subtype != "alternative" || len(b.Children) != 2 {
		t.Errorf("inner body %s/%s, %d children", b.Type, b.Subtype, len(b.Children))
	}
	if m.Body.Find([]int{2, 3}) != nil || m.Body.Find([]int{1, 1}) != nil {
		t.Error("found parts that do not exist")
	}
}

func checkEncoded(t *testing.T, m *Meta) {
	want := map[string]string{
		"From":    "Jörg Müller <joerg@example.de>",
		"To":      "André Pirard <PIRARD@vm1.ulg.ac.be>",
		"Subject": "Grüße aus Köln and =?x-unknown?q?abc?= this is some text",
		"X-Koi":   "Привет",
	}
	for _, f := range m.Headers {
		if w, ok := want[f.Name]; ok && f.Value != w {
			t.Errorf("%s: %q, want %q", f.Name, f.Value, w)
		}
	}
	if !strings.HasPrefix(m.Envelope.Subject, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= ") {
		t.Errorf("envelope subject should stay raw: %q", m.Envelope.Subject)
	}
	if n := m.Envelope.From[0].Name; n != "=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=" {
		t.Errorf("from name %q", n)
	}
	if !m.SentDate.Equal(time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("SentDate %v", m.SentDate)
	}
}

func checkGroups(t *testing.T, m *Meta) {
	checkEnvelope(t, m.Envelope, Envelope{
		Date:    "Mon, 03 Jun 2024 10:00:00 -0700",
		Subject: "groups",
		From:    []Address{{Name: "Alice", Mailbox: "alice", Host: "example.org"}},
		Sender:  []Address{{Mailbox: "secretary", Host: "example.org"}},
		ReplyTo: []Address{{Mailbox: "list", Host: "example.org"}},
		To:      []Address{{Mailbox: "undisclosed-recipients"}, {}},
		Cc: []Address{
			{Mailbox: "Team"},
			{Mailbox: "a", Host: "example.org"},
			{Name: "B, Bee", Mailbox: "b", Host: "example.org"},
			{},
			{Mailbox: "dave", Host: "example.org"},
		},
		Bcc: []Address{
			{Adl: "@relay1.example,@relay2.example", Mailbox: "eve", Host: "example.com"},
			{Mailbox: `"john doe"`, Host: "example.com"},
			{Mailbox: "root", Host: missingDomain},
		},
	})
}

func checkMinimal(t *testing.T, m *Meta) {
	e := m.Envelope
	from := []Address{{Mailbox: "a", Host: "example.org"}}
	if !reflect.DeepEqual(e.From, from) || !reflect.DeepEqual(e.Sender, from) || !reflect.DeepEqual(e.ReplyTo, from) {
		t.Errorf("envelope %+v", e)
	}
	if e.Date != "" || e.MessageID != "" || !m.SentDate.IsZero() {
		t.Errorf("date %q, message-id %q, SentDate %v", e.Date, e.MessageID, m.SentDate)
	}
	if m.Body.Encoding != "7BIT" {
		t.Errorf("encoding %q", m.Body.Encoding)
	}
}
