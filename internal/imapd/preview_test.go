package imapd

import (
	"strings"
	"testing"
)

// TestPreview: FETCH PREVIEW (RFC 8970) of plain, alternative, HTML-only,
// encoded, long and attachment-only messages.
func TestPreview(t *testing.T) {
	e := newEnv(t, nil)
	hdr := "From: bob@example.net\r\nSubject: p\r\nMIME-Version: 1.0\r\n"
	e.deliver("", testMessage("plain", "Hello   there,\r\n\r\n  how\tare you?"), 0) // 1
	e.deliver("", hdr+"Content-Type: multipart/alternative; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n"+
		"--b\r\nContent-Type: text/plain\r\n\r\nPlain version\r\n--b--\r\n", 0) // 2
	e.deliver("", hdr+"Content-Type: text/html; charset=utf-8\r\n\r\n"+
		"<html><head><title>T</title><style>p{color:red}</style></head><body>"+
		"<script>var x=1;</script><p>Caf&eacute;&nbsp;&amp;<br>bar</p></body></html>\r\n", 0) // 3
	e.deliver("", hdr+"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
		"Q2Fm6SBjcuhtZQ==\r\n", 0) // 4: "Café crème" in Latin-1
	e.deliver("", testMessage("long", strings.Repeat("abcdefghi ", 100)), 0) // 5
	e.deliver("", hdr+"Content-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"+
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nnot me\r\n--b--\r\n", 0) // 6

	r := e.login()
	if !has(r.OK("c CAPABILITY"), " PREVIEW") {
		t.Fatal("CAPABILITY lacks PREVIEW")
	}
	r.OK("e ENABLE IMAP4rev2") // UTF-8 quoted strings, no \Recent
	r.OK("s SELECT INBOX")
	long := strings.TrimSpace(strings.Repeat("abcdefghi ", 26))[:256]
	r.exact("f1 FETCH 1:6 (PREVIEW)", "OK",
		`* 1 FETCH (PREVIEW "Hello there, how are you?")`,
		`* 2 FETCH (PREVIEW "Plain version")`,
		`* 3 FETCH (PREVIEW "Café & bar")`,
		`* 4 FETCH (PREVIEW "Café crème")`,
		`* 5 FETCH (PREVIEW "`+long+`")`,
		`* 6 FETCH (PREVIEW "")`)
	// Again, from the item cache; with LAZY; with FETCH modifiers.
	r.exact("f2 UID FETCH 4 (PREVIEW (LAZY) FLAGS)", "OK", `* 4 FETCH (UID 4 PREVIEW "Café crème" FLAGS ())`)
	r.exact("f3 FETCH 1 PREVIEW (LAZY)", "OK", `* 1 FETCH (PREVIEW "Hello there, how are you?")`)
	r.exact("f4 FETCH 1 PREVIEW (CHANGEDSINCE 1)", "OK", `* 1 FETCH (PREVIEW "Hello there, how are you?" MODSEQ (`+
		modseqOf(r, 1)+`))`)
	r.status("f5 FETCH 1 (PREVIEW (FOO))", "BAD")
	r.status("f6 FETCH 1 (PREVIEW (LAZY FOO))", "BAD")
	r.status("f7 FETCH 1 (PREVIEW ())", "BAD")
	// PREVIEW does not set \Seen.
	r.exact("f8 FETCH 1 FLAGS", "OK", `* 1 FETCH (FLAGS ())`)
}

// TestPreviewLiteral: without UTF8=ACCEPT, a preview that is not ASCII
// goes in a literal (RFC 8970 §4.2: the text is UTF-8).
func TestPreviewLiteral(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n", 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("f FETCH 1 PREVIEW", "OK", "* 1 FETCH (PREVIEW {7}\r\nGrüße)")
}

func modseqOf(r *raw, uid int) string {
	return itoa64(r.modseqs()[storeUID(uid)])
}
