package imapd

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Issue 13's IMAP conformance points, each on a real server.

// TestListPatternAnyAtomChars: a LIST pattern may be made of any atom
// characters, including an "&" that starts no valid modified UTF-7
// sequence; the answer is OK with whatever matches (RFC 9051 §6.3.9).
func TestListPatternAnyAtomChars(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("c CREATE foo")
	for _, pat := range []string{
		"!#$&'+,-.0123456789:;<=>?@^_`|}%*",
		`"!#$&'+,-.0123456789:;<=>?@^_` + "`" + `|}%*"`,
		"&x%",
	} {
		if u := r.status("l LIST \"\" "+pat, "OK"); len(u) != 0 {
			t.Errorf("LIST %s: %q, want nothing", pat, u)
		}
		r.status("l LSUB \"\" "+pat, "OK")
		r.status("l LIST \"&x\" "+pat, "OK")
	}
	// A valid pattern still matches as before.
	if u := r.status(`l LIST "" f%`, "OK"); !has(u, `"/" foo`) {
		t.Errorf("LIST f%%: %q", u)
	}
}

// TestMoveSameMailboxExpungeFirst: MOVE into the selected mailbox reports
// the source's EXPUNGE before the EXISTS of the copies (RFC 6851 §3.3), so
// the count in EXISTS is the mailbox's size after the move.
func TestMoveSameMailboxExpungeFirst(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(3)
	r := e.login()
	r.OK("e ENABLE IMAP4rev2") // no RECENT between the responses
	r.OK("s SELECT INBOX")
	u := r.status("m MOVE 2 INBOX", "OK MOVE completed")
	if len(u) != 3 || !strings.HasPrefix(u[0], "* OK [COPYUID ") || u[1] != "* 2 EXPUNGE" || u[2] != "* 3 EXISTS" {
		t.Errorf("MOVE 2 INBOX: %q, want COPYUID, * 2 EXPUNGE, * 3 EXISTS", u)
	}
	// The same order for messages a MOVE leaves behind at the end.
	u = r.status("m UID MOVE 1:* INBOX", "OK MOVE completed")
	want := []string{"* 3 EXPUNGE", "* 2 EXPUNGE", "* 1 EXPUNGE", "* 3 EXISTS"}
	if len(u) != 5 || strings.Join(u[1:], "\n") != strings.Join(want, "\n") {
		t.Errorf("UID MOVE 1:* INBOX: %q, want COPYUID then %q", u, want)
	}
}

// TestSearchAddressWithComments: FROM, TO and CC match an address written
// with comments and folding white space as the address without them
// (RFC 5322 §3.4.1 CFWS), and still match the text as written.
func TestSearchAddressWithComments(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", "From: Bob <user (comment)@ (comment) domain.org>\r\n"+
		"To: Carol <carol (x) . smith @ example . net (home)>\r\n"+
		"Cc: dave(at work)@example.com, \"eve (not a comment)\" <eve@example.com>\r\n"+
		"Subject: s\r\n\r\nbody\r\n", 0)
	e.deliver("", testMessage("plain", "x"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	for _, c := range []struct{ key, want string }{
		{`FROM "user@domain.org"`, "* SEARCH 1"},
		{`FROM "USER@DOMAIN"`, "* SEARCH 1"},
		{`FROM "(comment)"`, "* SEARCH 1"},
		{`TO "carol.smith@example.net"`, "* SEARCH 1"},
		{`CC "dave@example.com"`, "* SEARCH 1"},
		{`CC "eve (not a comment)"`, "* SEARCH 1"},
		{`FROM "bob@example.net"`, "* SEARCH 2"},
		{`FROM "userdomain"`, "* SEARCH"},
	} {
		r.exact("f SEARCH "+c.key, "OK", c.want)
	}
}

// TestFetchBinaryPartWithNUL: BODY[n] of a part in Content-Transfer-Encoding
// binary that holds NUL octets cannot go in a plain literal (RFC 9051
// §4.3.1): APPEND (in a literal8) stored it in base64 (RFC 3516 §4.2;
// append_nul.go), so BODY[n] is base64; BINARY[n] decodes it back to the
// octets sent, in a literal8; a binary part without NUL stays as it is.
func TestFetchBinaryPartWithNUL(t *testing.T) {
	content := "\x00\x01\x02 binary\x00data " + strings.Repeat("z", 60)
	r := binaryPartSession(t, "Content-Transfer-Encoding: binary\r\n\r\ncaf\xc3\xa9", "Content-Transfer-Encoding: binary", content)
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	b64 := enc[:76] + "\r\n" + enc[76:] + "\r\n"
	r.exact("a FETCH 1 (BODY.PEEK[2] BODY.PEEK[2]<70.10> BODY.PEEK[1])", "OK",
		"* 1 FETCH (BODY[2] {"+strconv.Itoa(len(b64))+"}\r\n"+b64+
			" BODY[2]<70> {10}\r\n"+b64[70:80]+
			" BODY[1] {5}\r\ncaf\xc3\xa9)")
	r.exact("b FETCH 1 (BINARY.PEEK[2])", "OK",
		"* 1 FETCH (BINARY[2] ~{"+strconv.Itoa(len(content))+"}\r\n"+content+")")
}

// TestFetchWholeMessageWithNULPart: the message around a binary part that
// holds NUL went out with the NUL octets in BODY[], RFC822 and BODY[TEXT]
// (plain literals: RFC 9051 §4.3.1 forbids NUL there), while BODY[2] was
// base64 and BODYSTRUCTURE still said binary with the stored size. APPEND
// now stores the message with that part in base64 (RFC 3516 §4.2;
// append_nul.go): no NUL in any plain literal, and BODYSTRUCTURE,
// RFC822.SIZE, BODY[2.MIME] and BODY[2] agree; BINARY[2] decodes to the
// octets sent.
func TestFetchWholeMessageWithNULPart(t *testing.T) {
	content := "\x00\x01\x02 binary\x00data " + strings.Repeat("z", 100)
	r := binaryPartSession(t, "\r\nhello", "Content-Transfer-Encoding:\r\n  Binary", content)
	// RFC822.SIZE alone first (from the message record, not the
	// metadata): the size of what BODY[] sends.
	size := literalSize(t, r.OK("z FETCH 1 (RFC822.SIZE)")[0], "RFC822.SIZE ")
	u := r.OK("a FETCH 1 (BODYSTRUCTURE RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT] BODY.PEEK[2] BODY.PEEK[2.MIME] BINARY.PEEK[2])")
	v := r.OK("b FETCH 1 (RFC822 RFC822.TEXT)")
	resp := u[0] + v[0]
	for _, name := range []string{"BODY[] ", "BODY[TEXT] ", "BODY[2] ", "BODY[2.MIME] "} {
		if strings.ContainsRune(literal(t, u[0], name), 0) {
			t.Errorf("%s: a NUL octet in a plain literal", name)
		}
	}
	for _, name := range []string{"RFC822 ", "RFC822.TEXT "} {
		if strings.ContainsRune(literal(t, v[0], name), 0) {
			t.Errorf("%s: a NUL octet in a plain literal", name)
		}
	}
	if strings.Count(resp, "\x00") != strings.Count(content, "\x00") {
		t.Errorf("%d NUL octets in the responses, want %d, in BINARY[2] alone", strings.Count(resp, "\x00"), strings.Count(content, "\x00"))
	}
	whole, part := literal(t, u[0], "BODY[] "), literal(t, u[0], "BODY[2] ")
	if got := literalSize(t, u[0], "RFC822.SIZE "); got != len(whole) || size != len(whole) {
		t.Errorf("RFC822.SIZE %d (alone: %d), BODY[] has %d octets", got, size, len(whole))
	}
	if whole != literal(t, v[0], "RFC822 ") || literal(t, u[0], "BODY[TEXT] ") != literal(t, v[0], "RFC822.TEXT ") {
		t.Error("RFC822 and RFC822.TEXT differ from BODY[] and BODY[TEXT]")
	}
	bs := regexp.MustCompile(`"application" "octet-stream" NIL NIL NIL "(\w+)" (\d+)`).FindStringSubmatch(u[0])
	if bs == nil || !strings.EqualFold(bs[1], "base64") || bs[2] != strconv.Itoa(len(part)) {
		t.Errorf("BODYSTRUCTURE of part 2: %q; BODY[2] is base64 of %d octets", bs, len(part))
	}
	if mime := literal(t, u[0], "BODY[2.MIME] "); !strings.Contains(mime, "Content-Transfer-Encoding: base64\r\n") || strings.Contains(mime, "Binary") {
		t.Errorf("BODY[2.MIME] = %q, want it to say base64", mime)
	}
	if dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(part, "\r\n", "")); err != nil || string(dec) != content {
		t.Errorf("BODY[2] decodes to %q, %v", dec, err)
	}
	if !strings.Contains(whole, part) || !strings.Contains(whole, "hello\r\n--b\r\n") {
		t.Errorf("BODY[] is not the message with part 2 converted:\n%q", whole)
	}
	if bin := literal(t, u[0], "BINARY[2] ~"); bin != content {
		t.Errorf("BINARY[2] = %q, want the octets sent", bin)
	}
}

// binaryPartSession delivers a multipart message of a text/plain part
// (its header fields after Content-Type, then its body) and an
// application/octet-stream part whose encoding field is cte, holding
// content, by APPEND in a literal8 (RFC 3516 §4.4: SMTP refuses NUL);
// it returns a session with INBOX selected.
func binaryPartSession(t *testing.T, text, cte, content string) *raw {
	msg := "From: bob@example.net\r\nSubject: bin\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n" + cte + "\r\n\r\n" +
		content + "\r\n--b--\r\n"
	r := newEnv(t, nil).login()
	r.OK("a APPEND INBOX ~{" + strconv.Itoa(len(msg)) + "+}\r\n" + msg)
	r.OK("s SELECT INBOX")
	return r
}

// literal returns the literal after prefix ("NAME " for {n}, "NAME ~" for
// a literal8) in a FETCH response.
func literal(t *testing.T, resp, prefix string) string {
	t.Helper()
	i := strings.Index(resp, prefix+"{")
	if i < 0 {
		t.Fatalf("no %s{...} literal in %q", prefix, resp)
	}
	rest := resp[i+len(prefix)+1:]
	n, err := strconv.Atoi(rest[:strings.IndexByte(rest, '}')])
	if err != nil {
		t.Fatal(err)
	}
	rest = rest[strings.Index(rest, "}\r\n")+3:]
	return rest[:n]
}

// literalSize reads the number after prefix in a FETCH response.
func literalSize(t *testing.T, resp, prefix string) int {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `(\d+)`).FindStringSubmatch(resp)
	if m == nil {
		t.Fatalf("no %s in %q", prefix, resp)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestListSubscribedRecursive: LIST (SUBSCRIBED RECURSIVEMATCH) returns an
// unsubscribed parent with CHILDINFO only when a subscribed descendant is
// not returned itself (RFC 5258 §3.5: no redundant responses); LSUB under
// "%" returns the unsubscribed parent of a subscribed child as \Noselect,
// whether the parent exists or not (RFC 3501 §6.3.9).
func TestListSubscribedRecursive(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	for _, l := range []string{"c CREATE Foo/Bar", "c CREATE Moo", "c SUBSCRIBE Foo/Bar", "c SUBSCRIBE Moo",
		"c CREATE Gone/Sub", "c SUBSCRIBE Gone/Sub", "c DELETE Gone/Sub"} {
		r.OK(l)
	}
	r.status("c DELETE Gone", "") // when CREATE made it
	// The default mailboxes are subscribed too: the patterns leave them out.
	r.exact(`l LIST (SUBSCRIBED RECURSIVEMATCH) "" ("Foo*" "Gone*" "Moo*")`, "OK",
		`* LIST (\HasNoChildren \Subscribed) "/" Foo/Bar`,
		`* LIST (\NonExistent \Subscribed) "/" Gone/Sub`,
		`* LIST (\HasNoChildren \Subscribed) "/" Moo`)
	r.exact(`l LIST (SUBSCRIBED RECURSIVEMATCH) "" ("Foo%" "Gone%" "Moo%")`, "OK",
		`* LIST (\HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))`,
		`* LIST (\NonExistent) "/" Gone ("CHILDINFO" ("SUBSCRIBED"))`,
		`* LIST (\HasNoChildren \Subscribed) "/" Moo`)
	// "Foo/%" returns Foo/Bar itself, so not Foo (nor would it match).
	r.exact(`l LIST (SUBSCRIBED RECURSIVEMATCH) "" "Foo/%"`, "OK",
		`* LIST (\HasNoChildren \Subscribed) "/" Foo/Bar`)
	r.exact(`l LSUB "" "Foo%"`, "OK", `* LSUB (\Noselect) "/" Foo`)
	r.exact(`l LSUB "" "Gone%"`, "OK", `* LSUB (\Noselect) "/" Gone`)
	r.exact(`l LSUB "" "Moo%"`, "OK", `* LSUB () "/" Moo`)
	r.exact(`l LSUB "" "Foo*"`, "OK", `* LSUB () "/" Foo/Bar`)
}
