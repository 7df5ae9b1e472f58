package imapmsg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// textKinds are the keys the full-text index answers.
var textKinds = []SearchKind{Subject, From, To, Cc, Bcc, Body, Text}

// checkIndexAgrees checks that, for every key TextPlan accepts, the index
// text holds the needle exactly when Match finds it (the message's
// metadata read back through the store's codec, as SEARCH gets it).
func checkIndexAgrees(t *testing.T, name string, raw []byte, needles []string) {
	t.Helper()
	meta := msgmeta.ParseBytes(raw)
	enc, err := msgmeta.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := msgmeta.Unmarshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	it, ok, err := IndexText(meta, bytes.NewReader(raw), int64(len(raw)))
	if err != nil || !ok {
		t.Fatalf("%s: IndexText ok=%v err=%v", name, ok, err)
	}
	again, _, _ := IndexText(stored, bytes.NewReader(raw), int64(len(raw)))
	if *again != *it {
		t.Fatalf("%s: the index text differs from the stored metadata's", name)
	}
	for _, n := range needles {
		for _, kind := range textKinds {
			q, ok := TextPlan(kind, n)
			if !ok {
				continue
			}
			inIndex := false
			for _, c := range q.Columns {
				inIndex = inIndex || strings.Contains(it.Columns[c], q.Needle)
			}
			k := SearchKey{Kind: kind, Text: n}
			c := &Candidate{Msg: store.Message{UID: 1, Size: int64(len(raw))},
				Meta: func() (*msgmeta.Meta, error) { return stored, nil },
				Body: func() (store.Blob, error) { return newBlob(raw, nil), nil }}
			matched, err := Match(&k, c)
			if err != nil {
				t.Fatal(err)
			}
			if matched != inIndex {
				t.Errorf("%s: key %d %q: Match %v, index %v", name, kind, n, matched, inIndex)
			}
		}
	}
}

// needlesOf picks needles from a message: pieces of its raw text and of
// every column of its index text, some with a colon or a space.
func needlesOf(raw []byte, it *store.IndexText) []string {
	var out []string
	pick := func(s string) {
		for i := 0; i < len(s); i += 1 + len(s)/40 {
			for _, n := range []int{3, 5, 9, 17} {
				if i+n <= len(s) {
					out = append(out, s[i:i+n])
				}
			}
		}
	}
	pick(string(raw))
	if it != nil {
		for _, c := range it.Columns {
			pick(c)
			pick(strings.ToUpper(c))
		}
	}
	return append(out, "subject: ", "content-type: text", "charset", "=?utf-8?", "@example.com", "STRASSE", "stra")
}

// corpusFiles are the messages of both corpora.
func corpusFiles(t *testing.T) []string {
	a, _ := filepath.Glob(filepath.Join(testdata, "*.eml"))
	b, _ := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if len(a)+len(b) < 20 {
		t.Fatalf("corpora: %d messages", len(a)+len(b))
	}
	return append(a, b...)
}

// TestIndexTextAgreesWithMatch: on both corpora, the index answers every
// key it accepts as the scan does.
func TestIndexTextAgreesWithMatch(t *testing.T) {
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		it, _, _ := IndexText(msgmeta.ParseBytes(raw), bytes.NewReader(raw), int64(len(raw)))
		checkIndexAgrees(t, filepath.Base(path), raw, needlesOf(raw, it))
	}
}

func TestIndexTextColumns(t *testing.T) {
	raw := []byte("From: \"Zoë\" <zoe@Example.org>\r\nTo: =?utf-8?q?J=C3=BCrgen?= <j@x.de>\r\nSubject: Grüße\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Caf=E9 AU LAIT</p>\r\n--b\r\n" +
		"Content-Type: application/pdf; name=\"Rechnung.pdf\"\r\n\r\nJVBERi0=\r\n--b--\r\n")
	it, ok, err := IndexText(msgmeta.ParseBytes(raw), bytes.NewReader(raw), int64(len(raw)))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	for _, w := range []struct {
		col  store.TextColumn
		want string
	}{
		{store.ColFrom, "zoe@example.org"}, {store.ColTo, "jürgen"}, {store.ColSubject, "grüsse"},
		{store.ColBody, "<p>café au lait</p>"}, {store.ColSubRaw, "rechnung.pdf"}, {store.ColSubColon, "content-type: application/pdf"},
	} {
		if !strings.Contains(it.Columns[w.col], w.want) {
			t.Errorf("column %d %q lacks %q", w.col, it.Columns[w.col], w.want)
		}
	}
	if strings.Contains(it.Columns[store.ColBody], "jvberi0") {
		t.Error("the PDF attachment was indexed as text")
	}
}

func TestIndexTextBounded(t *testing.T) {
	raw := []byte("Subject: big\r\n\r\n" + strings.Repeat("word ", store.MaxIndexText/5+10))
	_, ok, err := IndexText(msgmeta.ParseBytes(raw), bytes.NewReader(raw), int64(len(raw)))
	if err != nil || ok {
		t.Fatalf("a message over MaxIndexText: ok=%v err=%v", ok, err)
	}
}

func TestTextPlan(t *testing.T) {
	for _, c := range []struct {
		kind SearchKind
		text string
		ok   bool
	}{
		{Text, "ab", false}, {Text, "abc", true}, {Text, "a\nbc", false}, {Text, "ab\uFFFD", false},
		{Text, "ab\xff", false}, {Header, "abc", false}, {Subject, "ÄÖÜ", true}, {Body, "ǅab", true},
	} {
		if _, ok := TextPlan(c.kind, c.text); ok != c.ok {
			t.Errorf("TextPlan(%d, %q) ok=%v", c.kind, c.text, ok)
		}
	}
	q, _ := TextPlan(Text, "Subject: X")
	if q.Needle != "subject: x" || len(q.Columns) != 3 {
		t.Errorf("plan %+v", q)
	}
}

// FuzzIndexText: for random messages and needles, the index text never
// disagrees with Match on a key TextPlan accepts, and is valid UTF-8.
func FuzzIndexText(f *testing.F) {
	seedCorpus(f, func(raw []byte) { f.Add(raw, "the") })
	f.Add([]byte("Subject: =?utf-8?b?w6Q=?=\r\n\r\nx"), "ä")
	f.Fuzz(func(t *testing.T, raw []byte, needle string) {
		it, ok, err := IndexText(msgmeta.ParseBytes(raw), bytes.NewReader(raw), int64(len(raw)))
		if err != nil || !ok {
			return
		}
		for _, c := range it.Columns {
			if !utf8.ValidString(c) || strings.Contains(c, "\x00") {
				t.Fatalf("column %q", c)
			}
		}
		checkIndexAgrees(t, "fuzz", raw, append(needlesOf(raw, nil)[:0:0], needle))
	})
}
