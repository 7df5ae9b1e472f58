package imapmsg

import (
	"bytes"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// The expected ENVELOPE and BODYSTRUCTURE of the corpus, written from RFC
// 9051 §7.5.2 and checked against Dovecot 2.3 (FETCH of the same messages,
// appended to a Dovecot mailbox). They match Dovecot's output except where
// noted:
//
//   - line counts: msgmeta counts a last line without a line feed, so a
//     part body "See attached." (its CRLF belongs to the next delimiter)
//     has 1 line where Dovecot, counting line feeds, says 0;
//   - the default encoding is "7BIT" (RFC 9051's examples) where Dovecot
//     writes "7bit";
//   - msgmeta decodes RFC 2231 parameters (joining a filename* and a
//     filename into one), and they are sent re-encoded in one name*;
//     msgmeta keeps the quotes of a quoted local part ("\"john doe\"");
//     it removes the white space of a folded Content-Location;
//   - no-boundary.eml: msgmeta makes a multipart without a boundary a
//     text/plain leaf, where Dovecot shows a multipart with one empty part.
func goldenEnvelopes() map[string]string {
	return map[string]string{
		"alternative.eml": `("Tue, 04 Jun 2024 08:30:00 +0000" "Weekly deals" (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) ((NIL NIL "bob" "example.net")) NIL NIL NIL "<deals-42@shop.example>")`,
		"attachment.eml":  `("Wed, 5 Jun 2024 14:15:16 -0400" "Rates" (("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) (("Bob" NIL "bob" "example.net")) NIL NIL NIL NIL)`,
		"bare-lf.eml":     `(NIL "bare LF" ((NIL NIL "cron" "host.example")) ((NIL NIL "cron" "host.example")) ((NIL NIL "cron" "host.example")) ((NIL NIL "root" "host.example")) NIL NIL NIL NIL)`,
		"digest.eml":      `(NIL "Digest" ((NIL NIL "list" "example.org")) ((NIL NIL "list" "example.org")) ((NIL NIL "list" "example.org")) NIL NIL NIL NIL NIL)`,
		// Encoded words are sent as written (RFC 9051 §7.5.2: the client decodes).
		"encoded.eml": `("3 Jun 24 10:00 GMT" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?Q?_aus_K=C3=B6ln?= and =?x-unknown?q?abc?= =?iso-8859-1?q?this_is_some_text?=" (("=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=" NIL "joerg" "example.de")) (("=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=" NIL "joerg" "example.de")) (("=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=" NIL "joerg" "example.de")) (("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.ac.be")) NIL NIL NIL NIL)`,
		// Groups: a start (NIL NIL "name" NIL) and an end (NIL NIL NIL NIL).
		"groups.eml":      `("Mon, 03 Jun 2024 10:00:00 -0700" "groups" (("Alice" NIL "alice" "example.org")) ((NIL NIL "secretary" "example.org")) ((NIL NIL "list" "example.org")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL NIL "Team" NIL)(NIL NIL "a" "example.org")("B, Bee" NIL "b" "example.org")(NIL NIL NIL NIL)(NIL NIL "dave" "example.org")) ((NIL "@relay1.example,@relay2.example" "eve" "example.com")(NIL NIL "\"john doe\"" "example.com")(NIL NIL "root" "MISSING_DOMAIN")) NIL NIL)`,
		"header-only.eml": `(NIL "no body" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)`,
		"minimal.eml":     `(NIL "x" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)`,
		"nested.eml":      `("Thu, 6 Jun 2024 09:00:00 +0100" "Fwd: Weekly deals" (("Bob" NIL "bob" "example.net")) (("Bob" NIL "bob" "example.net")) (("Bob" NIL "bob" "example.net")) (("Dan" NIL "dan" "example.com")) NIL NIL NIL NIL)`,
		"no-boundary.eml": `(NIL "broken" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)`,
		// The folded Subject is unfolded (Dovecot sends the same text as a literal).
		"simple.eml":   `("Mon, 3 Jun 2024 10:00:00 +0200 (CEST)" "Lunch tomorrow?" (("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) (("Bob, the Builder" NIL "bob" "example.net")("Carol C" NIL "carol" "example.net")) NIL NIL NIL "<20240603100000.1234@example.org>")`,
		"unclosed.eml": `(NIL "truncated" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)`,
	}
}

func goldenBodyStructures() map[string]string {
	return map[string]string{
		"alternative.eml": `(("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 83 2 NIL NIL NIL NIL)("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" 59 1 NIL NIL NIL NIL) "alternative" ("boundary" "----=_Part_12345_67890.1717489800000") NIL NIL NIL)`,
		// Every extension field of a leaf; RFC 2231 values re-encoded for
		// a client without UTF-8; a text part without charset gets
		// us-ascii, after its other parameters.
		"attachment.eml": `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)` +
			`("application" "pdf" ("name*" "utf-8''%E2%82%AC%20rates%202024.pdf") "<part1.abc@example.net>" "Rates" "base64" 146 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename*" "utf-8''%E2%82%AC%20rates%202024.pdf" "size" "108")) ("en" "de") "http://example.net/rates.pdf")` +
			`("text" "plain" ("name*" "x-unknown''a%FFb" "charset" "us-ascii") NIL NIL "7BIT" 8 1 NIL ("inline" ("filename*" "utf-8''r%C3%A9sum%C3%A9.txt")) NIL NIL)` +
			` "mixed" ("boundary" "outer-boundary") NIL NIL NIL)`,
		"bare-lf.eml": `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 7 2 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 14 1 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL)`,
		// message/rfc822 (the digest default): envelope, body, lines.
		"digest.eml": `(("message" "rfc822" NIL NIL NIL "7BIT" 42 (NIL "first" ((NIL NIL "x" "example.org")) ((NIL NIL "x" "example.org")) ((NIL NIL "x" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 3 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)` +
			`("message" "rfc822" NIL NIL NIL "7BIT" 43 (NIL "second" ((NIL NIL "y" "example.org")) ((NIL NIL "y" "example.org")) ((NIL NIL "y" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 3 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL)`,
		"encoded.eml":     `("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 9 1 NIL NIL NIL NIL)`,
		"groups.eml":      `("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 6 1 NIL NIL NIL NIL)`,
		"header-only.eml": `("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)`,
		"minimal.eml":     `("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)`,
		// A disposition without parameters is ("inline" NIL).
		"nested.eml": `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)` +
			`("message" "rfc822" NIL NIL NIL "7BIT" 333 ("Tue, 04 Jun 2024 08:30:00 +0000" "Weekly deals" (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) ((NIL NIL "bob" "example.net")) NIL NIL NIL "<deals-42@shop.example>")` +
			` (("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 6 1 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL) "alternative" ("boundary" "alt") NIL NIL NIL) 17 NIL ("inline" NIL) NIL NIL)` +
			` "mixed" ("boundary" "fwd") NIL NIL NIL)`,
		"no-boundary.eml": `("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 60 5 NIL NIL NIL NIL)`,
		"simple.eml":      `("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "8bit" 62 6 NIL NIL NIL NIL)`,
		"unclosed.eml":    `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 22 1 NIL NIL NIL NIL) "mixed" ("boundary" "zz") NIL NIL NIL)`,
	}
}

// goldenBodies are the BODY forms (no extension data at any level).
func goldenBodies() map[string]string {
	return map[string]string{
		"alternative.eml": `(("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 83 2)("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" 59 1) "alternative")`,
		"attachment.eml":  `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 13 1)("application" "pdf" ("name*" "utf-8''%E2%82%AC%20rates%202024.pdf") "<part1.abc@example.net>" "Rates" "base64" 146)("text" "plain" ("name*" "x-unknown''a%FFb" "charset" "us-ascii") NIL NIL "7BIT" 8 1) "mixed")`,
		"digest.eml": `(("message" "rfc822" NIL NIL NIL "7BIT" 42 (NIL "first" ((NIL NIL "x" "example.org")) ((NIL NIL "x" "example.org")) ((NIL NIL "x" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 3 1) 4)` +
			`("message" "rfc822" NIL NIL NIL "7BIT" 43 (NIL "second" ((NIL NIL "y" "example.org")) ((NIL NIL "y" "example.org")) ((NIL NIL "y" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 3 1) 4) "digest")`,
		"nested.eml": `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 12 1)("message" "rfc822" NIL NIL NIL "7BIT" 333 ("Tue, 04 Jun 2024 08:30:00 +0000" "Weekly deals" (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) (("Newsletter" NIL "news" "shop.example")) ((NIL NIL "bob" "example.net")) NIL NIL NIL "<deals-42@shop.example>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 6 1)("text" "html" ("charset" "us-ascii") NIL NIL "7BIT" 13 1) "alternative") 17) "mixed")`,
		"simple.eml": `("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "8bit" 62 6)`,
	}
}

// checkGolden compares what write makes of each corpus message with want;
// every message must have a golden value when all is set.
func checkGolden(t *testing.T, what string, want map[string]string, all bool, write func(*bytes.Buffer, *msgmeta.Meta)) {
	for _, name := range corpus(t) {
		_, m := load(t, name)
		w, ok := want[name]
		if !ok {
			if all {
				t.Errorf("%s: no golden %s", name, what)
			}
			continue
		}
		var b bytes.Buffer
		write(&b, m)
		if b.String() != w {
			t.Errorf("%s %s:\n got %s\nwant %s", name, what, b.String(), w)
		}
	}
}

func TestGoldenEnvelope(t *testing.T) {
	checkGolden(t, "ENVELOPE", goldenEnvelopes(), true, func(b *bytes.Buffer, m *msgmeta.Meta) {
		WriteEnvelope(b, &m.Envelope, false)
	})
}

func TestGoldenBodyStructure(t *testing.T) {
	checkGolden(t, "BODYSTRUCTURE", goldenBodyStructures(), true, func(b *bytes.Buffer, m *msgmeta.Meta) {
		WriteBodyStructure(b, &m.Body, true, false)
	})
	checkGolden(t, "BODY", goldenBodies(), false, func(b *bytes.Buffer, m *msgmeta.Meta) {
		WriteBodyStructure(b, &m.Body, false, false)
	})
}

// TestUTF8Strings: with UTF8=ACCEPT, decoded parameters and 8-bit header
// text go as UTF-8 quoted strings; without it, as RFC 2231 parameters,
// RFC 2047 words and A-labels (RFC 6855 §7, RFC 6858 §3).
func TestUTF8Strings(t *testing.T) {
	_, m := load(t, "attachment.eml")
	var b bytes.Buffer
	WriteBodyStructure(&b, &m.Body.Children[1], false, true)
	if w := `("application" "pdf" ("name" "€ rates 2024.pdf") "<part1.abc@example.net>" "Rates" "base64" 146)`; b.String() != w {
		t.Errorf("UTF-8 params:\n got %s\nwant %s", b.String(), w)
	}

	raw := "From: Zoë <zoë@bücher.example>\r\nSubject: Grüße \"q\" \\ x\r\n\r\nhi\r\n"
	m = msgmeta.ParseBytes([]byte(raw))
	cases := []struct {
		utf8 bool
		want string
	}{
		{true, `(NIL "Grüße \"q\" \\ x" (("Zoë" NIL "zoë" "bücher.example")) (("Zoë" NIL "zoë" "bücher.example")) (("Zoë" NIL "zoë" "bücher.example")) NIL NIL NIL NIL NIL)`},
		{false, `(NIL "=?utf-8?q?Gr=C3=BC=C3=9Fe_\"q\"_\\_x?=" (("=?utf-8?q?Zo=C3=AB?=" NIL "=?utf-8?q?zo=C3=AB?=" "xn--bcher-kva.example")) (("=?utf-8?q?Zo=C3=AB?=" NIL "=?utf-8?q?zo=C3=AB?=" "xn--bcher-kva.example")) (("=?utf-8?q?Zo=C3=AB?=" NIL "=?utf-8?q?zo=C3=AB?=" "xn--bcher-kva.example")) NIL NIL NIL NIL NIL)`},
	}
	for _, c := range cases {
		b.Reset()
		WriteEnvelope(&b, &m.Envelope, c.utf8)
		if b.String() != c.want {
			t.Errorf("utf8=%v:\n got %s\nwant %s", c.utf8, b.String(), c.want)
		}
	}
}
