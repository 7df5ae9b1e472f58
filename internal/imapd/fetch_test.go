package imapd

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// nestedMessage is multipart/mixed: a text part, then multipart/alternative
// with a text part and a base64 HTML part; its subject is an encoded word.
const nestedMessage = "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\n" +
	"Subject: =?UTF-8?B?R3LDvMOfZQ==?= mixed\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
	"preamble\r\n--outer\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n" +
	"--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n" +
	"--inner\r\nContent-Type: text/plain\r\n\r\ninner text\r\n" +
	"--inner\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n" +
	"--inner--\r\n--outer--\r\n"

// TestFetchNestedSections: sections of nested multiparts, their MIME
// headers, BINARY decoding and BINARY.SIZE (RFC 3516), HEADER.FIELDS and
// HEADER.FIELDS.NOT, partial fetches (RFC 9051 §6.4.5): a range past the
// end is cut, an origin past the end gives an empty string.
func TestFetchNestedSections(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", nestedMessage, 0)
	e.deliver("", testMessage("three", strings.Repeat("x", 300)), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("a FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.1] BODY.PEEK[2.2.MIME] BODY.PEEK[2.2])", "OK",
		"* 1 FETCH (BODY[1] {10}\r\nfirst part BODY[2.1] {10}\r\ninner text "+
			"BODY[2.2.MIME] {62}\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n "+
			"BODY[2.2] {12}\r\nPGI+aGk8L2I+)")
	r.exact("b FETCH 1 (BINARY.PEEK[2.2] BINARY.SIZE[2.2] BINARY.PEEK[2.2]<3.100> BINARY.PEEK[1]<0.5>)", "OK",
		"* 1 FETCH (BINARY[2.2] ~{9}\r\n<b>hi</b> BINARY.SIZE[2.2] 9 BINARY[2.2]<3> ~{6}\r\nhi</b> BINARY[1]<0> ~{5}\r\nfirst)")
	subject := "Subject: =?UTF-8?B?R3LDvMOfZQ==?= mixed\r\n\r\n"
	r.exact("c FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID MIME-Version Content-Type)])", "OK",
		"* 1 FETCH (BODY[HEADER.FIELDS.NOT (From To Date Message-ID MIME-Version Content-Type)] {"+
			strconv.Itoa(len(subject))+"}\r\n"+subject+")")
	r.exact("d FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT x-none)] BODY.PEEK[2.MIME])", "OK",
		"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT x-none)] {"+strconv.Itoa(len(subject))+"}\r\n"+subject+" "+
			"BODY[2.MIME] {57}\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n)")
	r.exact("f FETCH 2 (BODY.PEEK[]<0.10> BODY.PEEK[]<100000.10> BODY.PEEK[TEXT]<295.10>)", "OK",
		"* 2 FETCH (BODY[]<0> {10}\r\nFrom: Bob  BODY[]<100000> {0}\r\n BODY[TEXT]<295> {7}\r\nxxxxx\r\n)")
	r.exact("g FETCH 1:2 (FLAGS)", "OK", `* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Recent))`)
}

var literalRE = regexp.MustCompile(`BODY\[\] \{(\d+)\}\r\n`)

// TestFetchSeenAndSize: BODY.PEEK, BINARY.PEEK and RFC822.HEADER leave
// \Seen alone; BODY[], BINARY[], RFC822.TEXT and RFC822 set it, and the
// FETCH says so (RFC 9051 §6.4.5); RFC822.SIZE is the length of BODY[]
// (RFC 9051 §7.5.2), bare LF line endings included.
func TestFetchSeenAndSize(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", nestedMessage, 0)
	e.deliver("", "Subject: bare LF\n\nline one\nline two\n", 0)
	e.deliverN(4)
	e.login().OK("s SELECT INBOX") // takes \Recent
	r := e.login()
	r.OK("s SELECT INBOX")
	r.OK("p FETCH 1:6 (BODY.PEEK[] BINARY.PEEK[1] RFC822.HEADER BODY.PEEK[TEXT]<0.1>)")
	r.exact("f FETCH 1:6 (FLAGS)", "OK", "* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())", "* 3 FETCH (FLAGS ())",
		"* 4 FETCH (FLAGS ())", "* 5 FETCH (FLAGS ())", "* 6 FETCH (FLAGS ())")
	r.exact("a FETCH 3 (BODY[]<0.4>)", "OK", "* 3 FETCH (BODY[]<0> {4}\r\nFrom FLAGS (\\Seen))")
	r.exact("b FETCH 4 (BINARY[1]<0.1>)", "OK", "* 4 FETCH (BINARY[1]<0> ~{1}\r\nx FLAGS (\\Seen))")
	r.exact("c FETCH 5 (RFC822.TEXT)", "OK", "* 5 FETCH (RFC822.TEXT {3}\r\nx\r\n FLAGS (\\Seen))")
	header := strings.SplitAfter(testMessage("m", "x"), "\r\n\r\n")[0]
	r.exact("d FETCH 6 (FLAGS RFC822.HEADER)", "OK",
		"* 6 FETCH (FLAGS () RFC822.HEADER {"+strconv.Itoa(len(header))+"}\r\n"+header+")")
	// Already seen: nothing more.
	r.exact("g FETCH 3 (BODY[]<0.4>)", "OK", "* 3 FETCH (BODY[]<0> {4}\r\nFrom)")
	// A read-only mailbox is not changed.
	x := e.login()
	x.OK("x EXAMINE INBOX")
	x.exact("h FETCH 1 (BODY[]<0.4>)", "OK", "* 1 FETCH (BODY[]<0> {4}\r\nFrom)")
	x.exact("i FETCH 1 (FLAGS)", "OK", "* 1 FETCH (FLAGS ())")

	for _, l := range r.OK("z FETCH 1:6 (RFC822.SIZE BODY.PEEK[])") {
		size := strings.Fields(l)[4]
		m := literalRE.FindStringSubmatch(l)
		if m == nil || m[1] != size {
			t.Errorf("RFC822.SIZE %s, BODY[] %v: %q", size, m, l)
		}
		n, _ := strconv.Atoi(size)
		body := l[strings.Index(l, "}\r\n")+3:]
		if len(body) < n+1 || body[n] != ')' {
			t.Errorf("BODY[] literal is not %d octets: %q", n, l)
		}
	}
}

// TestFetchOutOfRange: a sequence number past the messages the session
// knows, "*" of an empty mailbox included, is BAD (RFC 9051 §9,
// seq-number); UIDs that name no message (expunged ones) are left out
// of UID FETCH, which succeeds.
func TestFetchOutOfRange(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(4)
	e.login().OK("s SELECT INBOX")
	r := e.login()
	r.OK("s SELECT INBOX")
	r.OK(`d UID STORE 3 +FLAGS.SILENT (\Deleted)`)
	r.OK("x EXPUNGE")
	r.exact("a UID FETCH 3 (UID)", "OK")
	r.exact("b UID FETCH 2:4 (UID)", "OK", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 4)")
	r.exact("c UID FETCH 9:* (UID)", "OK", "* 3 FETCH (UID 4)") // "9:*" is "4:9"
	r.exact("d FETCH 3:* (UID)", "OK", "* 3 FETCH (UID 4)")
	for _, cmd := range []string{"FETCH 4 (UID)", "FETCH 2:4 (UID)", "FETCH 1,5 (FLAGS)",
		`STORE 4 +FLAGS (\Seen)`, "COPY 4 INBOX", "MOVE 1:4 INBOX"} {
		r.status("e "+cmd, "BAD")
	}
	r.exact("f FETCH 1:3 (UID)", "OK", "* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 4)")

	r.OK("c CREATE Empty")
	r.OK("s2 SELECT Empty")
	r.status("g FETCH * (UID)", "BAD")
	r.status("h FETCH 1:* (UID)", "BAD")
	r.exact("i UID FETCH 1:* (UID)", "OK")
	r.exact("j SEARCH ALL", "OK", "* SEARCH")
}

// TestFetchUnknownCTE: BINARY of a part in an unknown
// Content-Transfer-Encoding is NO [UNKNOWN-CTE] (RFC 3516 §4.3) with no
// FETCH response (an empty or cut "* 1 FETCH (" line is not IMAP); BODY
// of the part serves it as it is.
func TestFetchUnknownCTE(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", "From: a@example.org\r\nSubject: odd\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nintro\r\n"+
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-weird\r\n\r\nzzz\r\n--b1--\r\n", 0)
	r := e.login()
	r.OK("s EXAMINE INBOX")
	r.exact("a FETCH 1 (BINARY.PEEK[2])", "NO [UNKNOWN-CTE]")
	r.exact("b FETCH 1 (UID BINARY.SIZE[2])", "NO [UNKNOWN-CTE]")
	r.exact("c UID FETCH 1 (FLAGS BINARY.PEEK[1] BINARY.PEEK[2]<0.1>)", "NO [UNKNOWN-CTE]")
	r.exact("d FETCH 1 (BODY.PEEK[2] BINARY.PEEK[1])", "OK", "* 1 FETCH (BODY[2] {3}\r\nzzz BINARY[1] ~{5}\r\nintro)")
	r.exact("n NOOP", "OK")
}
