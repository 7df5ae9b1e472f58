package imapmsg

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

var update = flag.Bool("update", false, "write the golden files of testdata/corpus")

// corpusDir holds real-world-shaped messages (newsletters with inline
// images, forwarded messages, encoded words in many charsets, RFC 2231
// file names, S/MIME, a DSN, a calendar invitation, TNEF, 8-bit and
// malformed headers) and, for each, NAME.golden: its ENVELOPE,
// BODYSTRUCTURE and BODY as sent to a client without UTF8=ACCEPT.
//
// The golden files were checked against Dovecot 2.3.19: the same
// messages APPENDed and FETCHed; its answers are in dovecot-2.3.19.txt
// (one "file item value" per line). They are the same except for these
// differences, all of them also in golden_test.go's corpus or in how
// msgmeta parses:
//
//   - line counts: a last line without a line feed counts (Dovecot counts
//     line feeds, so a part whose text ends at the boundary has one line
//     fewer, as has a message/rfc822 around it);
//   - the default encoding is "7BIT" where Dovecot writes "7bit";
//   - parameter names are lower-cased ("CHARSET" is "charset");
//   - RFC 2231 parameters are decoded and sent re-encoded in UTF-8 as one
//     name*, after the others: Dovecot joins the continuations as written
//     (leaving a space of a plain continuation unencoded) and keeps the
//     charset and language of iso-8859-1'de'r%E9sum%E9.txt;
//   - the folded Subject is unfolded (Dovecot sends it as a literal with
//     the folding kept);
//   - 8-bit header text (utf8-headers.eml) is downgraded to encoded words
//     and an A-label domain (RFC 6858 §3), where Dovecot sends it raw in
//     literals;
//   - malformed-headers.eml: the first of two To fields counts, where
//     Dovecot lists the addresses of both (both From fields are listed, as
//     Dovecot does: the From rule of package header); "<>" is left out of Cc
//     and "Name Only" is a mailbox without a domain, where Dovecot gives
//     (NIL NIL MISSING_MAILBOX MISSING_DOMAIN) and a display name; a
//     charset parameter whose quote is never closed keeps the rest of the
//     field as its value, where Dovecot drops it (and says us-ascii).
const corpusDir = "testdata/corpus"

// encodeAll is a message's golden text.
func encodeAll(m *msgmeta.Meta) string {
	var b bytes.Buffer
	b.WriteString("ENVELOPE ")
	WriteEnvelope(&b, &m.Envelope, false)
	b.WriteString("\nBODYSTRUCTURE ")
	WriteBodyStructure(&b, &m.Body, true, false)
	b.WriteString("\nBODY ")
	WriteBodyStructure(&b, &m.Body, false, false)
	b.WriteString("\n")
	return b.String()
}

// TestCorpusGolden compares ENVELOPE, BODYSTRUCTURE and BODY of every
// corpus message with its golden file (go test -run Corpus -update
// rewrites them; check the difference against Dovecot before committing).
func TestCorpusGolden(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(names) < 10 {
		t.Fatalf("corpus: %d messages, %v", len(names), err)
	}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got := encodeAll(msgmeta.ParseBytes(raw))
		golden := strings.TrimSuffix(name, ".eml") + ".golden"
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: %v (go test -run Corpus -update writes it)", name, err)
		}
		if got != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", filepath.Base(name), got, want)
		}
		// Through the store's codec, as FETCH sees it.
		enc, err := msgmeta.Marshal(msgmeta.ParseBytes(raw))
		if err != nil {
			t.Fatal(err)
		}
		m, err := msgmeta.UnmarshalWithoutHeaders(enc)
		if err != nil {
			t.Fatal(err)
		}
		if again := encodeAll(m); again != got {
			t.Errorf("%s: after Marshal and Unmarshal:\n got %s\nwant %s", filepath.Base(name), again, got)
		}
	}
}
