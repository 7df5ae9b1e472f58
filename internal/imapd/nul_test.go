package imapd

import (
	"bufio"
	"encoding/base64"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NUL octets in APPEND (issue 13; append_nul.go): refused in a plain
// literal, converted to base64 at intake in a literal8, refused where no
// encoding can carry them; and the literal writer's last safety net for
// messages stored with NUL before.

const nulHeader = "From: bob@example.net\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"

// messages reads the number of messages of INBOX and its size (RFC 8438).
func (r *raw) messages() (n, size int) {
	r.T.Helper()
	u := r.OK("st STATUS INBOX (MESSAGES SIZE)")
	m := regexp.MustCompile(`MESSAGES (\d+) SIZE (\d+)`).FindStringSubmatch(strings.Join(u, ""))
	if m == nil {
		r.T.Fatalf("STATUS: %q", u)
	}
	n, _ = strconv.Atoi(m[1])
	size, _ = strconv.Atoi(m[2])
	return n, size
}

// TestAppendPlainLiteralNUL: a plain literal may not hold NUL (RFC 9051
// §4.3, CHAR8): APPEND is BAD and nothing is stored, in a
// non-synchronizing or a synchronizing literal, alone or in a
// MULTIAPPEND; the session goes on, and the same message in a literal8
// is taken.
func TestAppendPlainLiteralNUL(t *testing.T) {
	msg := "Subject: x\r\n\r\nabc\x00def\r\n"
	n := strconv.Itoa(len(msg))
	r := newEnv(t, nil).login()
	r.status("a APPEND INBOX {"+n+"+}\r\n"+msg, "BAD")
	r.Ask("b APPEND INBOX {"+n+"}", "+")
	r.Send(msg + "\r\n")
	if _, tagged := r.Until("b"); !strings.HasPrefix(tagged, "b BAD") {
		t.Errorf("synchronizing literal: %q", tagged)
	}
	ok := "Subject: fine\r\n\r\nno NUL\r\n"
	r.status("c APPEND INBOX {"+strconv.Itoa(len(ok))+"+}\r\n"+ok+" {"+n+"+}\r\n"+msg+" {"+strconv.Itoa(len(ok))+"+}\r\n"+ok, "BAD")
	// A big one goes through a spool file: the same.
	big := "Subject: big\r\n\r\n" + strings.Repeat("x", memSpoolMax) + "\x00\r\n"
	r.status("d APPEND INBOX {"+strconv.Itoa(len(big))+"+}\r\n"+big, "BAD")
	if got, _ := r.messages(); got != 0 {
		t.Fatalf("%d messages stored", got)
	}
	r.OK("e NOOP")
	r.OK("f APPEND INBOX ~{" + n + "+}\r\n" + msg)
	if got, _ := r.messages(); got != 1 {
		t.Fatalf("literal8: %d messages stored", got)
	}
}

// nulCase is a message with one part holding NUL, the section of that
// part and its octets.
type nulCase struct {
	name, msg, part, content string
}

func nulCases() []nulCase {
	content := "\x00\x01\x02 binary\r\n\x00data " + strings.Repeat("z", 100) + "\xff"
	leaf := func(cte string) string {
		return nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\n" + cte + "\r\n" + content + "\r\n--b--\r\n"
	}
	return []nulCase{
		{"binary", leaf("Content-Transfer-Encoding: binary\r\n"), "2", content},
		{"7bit", leaf("Content-Transfer-Encoding: 7bit\r\n"), "2", content},
		{"no encoding field", leaf(""), "2", content},
		{"8bit", leaf("Content-Transfer-Encoding: 8bit\r\n"), "2", content},
		{"quoted binary", leaf("Content-Transfer-Encoding: \"binary\"\r\n"), "2", content},
		{"comments", leaf("Content-Transfer-Encoding: (x) BINARY (y)\r\n"), "2", content},
		{"one part", nulHeader + "Content-Type: text/plain\r\n\r\n" + content + "\r\n", "1", content + "\r\n"},
		{"in message/rfc822", nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
			"Subject: in\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n" +
			"--c\r\nContent-Type: text/plain\r\n\r\ninner\r\n" +
			"--c\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + content + "\r\n--c--\r\n" +
			"\r\n--b--\r\n", "2.2", content},
		{"multipart in multipart", nulHeader + "Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
			"--a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + content +
			"\r\n--b--\r\n\r\n--a--\r\n", "1.2", content},
	}
}

var base64PartRE = regexp.MustCompile(`(?i)"BASE64" (\d+)( \d+)?`)

// TestAppendLiteral8NULConverted: a message in a literal8 whose part holds
// NUL (declared binary, 7bit, 8bit, none, quoted, with comments; nested in
// message/rfc822 or in a multipart within a multipart) is stored with that
// part in base64: no NUL in any plain literal (BODY[], BODY[TEXT],
// BODY[part], RFC822), BODYSTRUCTURE says BASE64 with the size (and lines)
// of BODY[part], RFC822.SIZE, STATUS SIZE and SEARCH LARGER/SMALLER
// agree with BODY[], and BINARY[part] is the octets sent.
func TestAppendLiteral8NULConverted(t *testing.T) {
	for _, c := range nulCases() {
		t.Run(c.name, func(t *testing.T) {
			r := newEnv(t, nil).login()
			r.OK("a APPEND INBOX ~{" + strconv.Itoa(len(c.msg)) + "+}\r\n" + c.msg)
			r.OK("s SELECT INBOX")
			p := c.part
			u := r.OK("f FETCH 1 (RFC822.SIZE BODYSTRUCTURE BODY.PEEK[] BODY.PEEK[TEXT] BODY.PEEK[" + p + "] BINARY.PEEK[" + p + "] BINARY.SIZE[" + p + "])")[0]
			v := r.OK("g FETCH 1 (RFC822 BODY.PEEK[" + p + ".MIME])")[0]
			whole, part := literal(t, u, "BODY[] "), literal(t, u, "BODY["+p+"] ")
			for name, lit := range map[string]string{"BODY[]": whole, "BODY[TEXT]": literal(t, u, "BODY[TEXT] "),
				"BODY[" + p + "]": part, "RFC822": literal(t, v, "RFC822 ")} {
				if strings.IndexByte(lit, 0) >= 0 {
					t.Errorf("%s: a NUL octet in a plain literal", name)
				}
			}
			if literal(t, v, "RFC822 ") != whole {
				t.Error("RFC822 differs from BODY[]")
			}
			if bin := literal(t, u, "BINARY["+p+"] ~"); bin != c.content {
				t.Errorf("BINARY[%s] = %q, want %q", p, bin, c.content)
			}
			if n := literalSize(t, u, "BINARY.SIZE["+p+"] "); n != len(c.content) {
				t.Errorf("BINARY.SIZE[%s] = %d, want %d", p, n, len(c.content))
			}
			if dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(part, "\r\n", "")); err != nil || string(dec) != c.content {
				t.Errorf("BODY[%s] %q decodes to %q, %v", p, part, dec, err)
			}
			bs := base64PartRE.FindStringSubmatch(u)
			if bs == nil || bs[1] != strconv.Itoa(len(part)) {
				t.Errorf("BODYSTRUCTURE %q: want BASE64 %d", u[:strings.Index(u, "BODY[]")], len(part))
			} else if bs[2] != "" && bs[2] != " "+strconv.Itoa(strings.Count(part, "\n")) {
				t.Errorf("BODYSTRUCTURE lines%s, BODY[%s] has %d", bs[2], p, strings.Count(part, "\n"))
			}
			if !strings.Contains(literal(t, v, "BODY["+p+".MIME] "), "Content-Transfer-Encoding: base64\r\n") {
				t.Errorf("BODY[%s.MIME] does not say base64", p)
			}
			size := len(whole)
			if got := literalSize(t, u, "RFC822.SIZE "); got != size {
				t.Errorf("RFC822.SIZE %d, BODY[] %d octets", got, size)
			}
			if _, st := r.messages(); st != size {
				t.Errorf("STATUS SIZE %d, BODY[] %d octets", st, size)
			}
			r.exact("l SEARCH LARGER "+strconv.Itoa(size-1)+" SMALLER "+strconv.Itoa(size+1), "OK", "* SEARCH 1")
			r.exact("m SEARCH OR LARGER "+strconv.Itoa(size)+" SMALLER "+strconv.Itoa(size), "OK", "* SEARCH")
		})
	}
}

// TestAppendNULUnencodable: NUL where no Content-Transfer-Encoding can
// carry it is refused with NO, nothing stored (a MULTIAPPEND of a good
// message and such a one stores neither).
func TestAppendNULUnencodable(t *testing.T) {
	r := newEnv(t, nil).login()
	for name, msg := range map[string]string{
		"header":      nulHeader + "X-Evil: a\x00b\r\nContent-Type: text/plain\r\n\r\nabc\r\n",
		"part header": nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Description: \x00\r\n\r\nx\r\n--b--\r\n",
		"message/rfc822 header": nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" +
			"Subject: in\x00\r\n\r\nx\r\n--b--\r\n",
		"preamble": nulHeader + "Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: binary\r\n\r\npre\x00amble\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
		"epilogue":    nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\nepi\x00logue\r\n",
		"base64 part": nulHeader + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\x00\r\n",
		"big, header": "X-Evil: \x00\r\n\r\n" + strings.Repeat("x", memSpoolMax) + "\r\n",
	} {
		_, tagged := r.Cmd("a APPEND INBOX ~{" + strconv.Itoa(len(msg)) + "+}\r\n" + msg)
		if !strings.HasPrefix(tagged, "a NO ") || !strings.Contains(tagged, "NUL") {
			t.Errorf("%s: %q", name, tagged)
		}
	}
	ok, bad := "Subject: fine\r\n\r\nx\x00\r\n", "Subject: \x00\r\n\r\nx\r\n"
	r.status("b APPEND INBOX ~{"+strconv.Itoa(len(ok))+"+}\r\n"+ok+" ~{"+strconv.Itoa(len(bad))+"+}\r\n"+bad, "NO")
	if n, _ := r.messages(); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

// TestAppendNULBigBoundedMemory: a 20 MiB literal8 with NUL in a part is
// converted from its spool file to another with a few buffers (the
// process allocates far less than the message), and FETCH of the stored
// message does no work per message beyond what any message takes (a
// serve-time conversion rebuilt the message in memory on every FETCH).
func TestAppendNULBigBoundedMemory(t *testing.T) {
	const lines = 20 << 20 / 64
	line := strings.Repeat("0123456789abcdef", 4)[:61] + "\x00\r\n"
	head := nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
	tail := "\r\n--b--\r\n"
	size := len(head) + lines*len(line) + len(tail)
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxMessageSize = 64 << 20 })
	r := e.login()
	r.C.SetDeadline(time.Now().Add(2 * time.Minute))
	var m0, m1, m2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	bw := bufio.NewWriterSize(r.C, 64<<10)
	io.WriteString(bw, "a APPEND INBOX ~{"+strconv.Itoa(size)+"+}\r\n"+head)
	for range lines {
		io.WriteString(bw, line)
	}
	io.WriteString(bw, tail+"\r\n")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, tagged := r.Until("a"); !strings.HasPrefix(tagged, "a OK") {
		t.Fatalf("APPEND: %q", tagged)
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("APPEND of %d octets: %d KiB allocated", size, alloc>>10)
	if alloc > uint64(size)/4 {
		t.Errorf("APPEND of %d octets allocated %d MiB", size, alloc>>20)
	}
	r.OK("s SELECT INBOX")
	u := strings.Join(r.OK("f FETCH 1 (RFC822.SIZE BODYSTRUCTURE BINARY.SIZE[1] BINARY.PEEK[1]<0.128>)"), "")
	stored := literalSize(t, u, "RFC822.SIZE ")
	if bs := base64PartRE.FindStringSubmatch(u); bs == nil || literalSize(t, u, "BINARY.SIZE[1] ") != lines*len(line) ||
		literal(t, u, "BINARY[1]<0> ~") != (line + line)[:128] {
		t.Errorf("FETCH: %.300q", u)
	}
	if _, st := r.messages(); st != stored || stored <= size {
		t.Errorf("STATUS SIZE %d, RFC822.SIZE %d, sent %d", st, stored, size)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	for range 5 {
		r.OK("h FETCH 1 (BODY.PEEK[HEADER] RFC822.SIZE)")
	}
	runtime.ReadMemStats(&m2)
	alloc = m2.TotalAlloc - m1.TotalAlloc
	t.Logf("5 FETCH BODY.PEEK[HEADER] RFC822.SIZE of %d octets: %d KiB allocated", stored, alloc>>10)
	if alloc > 4<<20 {
		t.Errorf("5 FETCH BODY.PEEK[HEADER] of the %d-octet message allocated %d MiB", stored, alloc>>20)
	}
}

// TestFetchStoredNULSafetyNet: a message stored with NUL before APPEND
// converted it (here through the store directly) goes out with 0x80 in
// place of each NUL in plain literals (RFC 9051 §4.3.1), same length, so
// RFC822.SIZE still counts BODY[]; BINARY[n] (a literal8) keeps the NUL.
func TestFetchStoredNULSafetyNet(t *testing.T) {
	e := newEnv(t, nil)
	msg := nulHeader + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nseven\x00bit\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01" + strings.Repeat("y", 70000) + "\x00\r\n--b--\r\n"
	e.deliver("", msg, 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	u := r.OK("f FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[1] BINARY.PEEK[2])")[0]
	want := strings.ReplaceAll(msg, "\x00", "\x80")
	if got := literal(t, u, "BODY[] "); got != want {
		t.Errorf("BODY[] differs from the message with 0x80 for NUL (%d octets, want %d)", len(got), len(want))
	}
	if got := literal(t, u, "BODY[1] "); got != "seven\x80bit" {
		t.Errorf("BODY[1] = %q", got)
	}
	if got := literalSize(t, u, "RFC822.SIZE "); got != len(msg) {
		t.Errorf("RFC822.SIZE %d, want %d", got, len(msg))
	}
	if got := literal(t, u, "BINARY[2] ~"); got != "\x00\x01"+strings.Repeat("y", 70000)+"\x00" {
		t.Errorf("BINARY[2]: %d octets, NUL at %d", len(got), strings.IndexByte(got, 0))
	}
}
