package smtpclient

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// memConn is a net.Conn that reads a fixed input and discards writes: the
// server's side of a connection, for the fuzz targets (no goroutines, no
// deadlines).
type memConn struct{ r *bytes.Reader }

func (c memConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c memConn) Close() error                     { return nil }
func (c memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c memConn) SetDeadline(time.Time) error      { return nil }
func (c memConn) SetReadDeadline(time.Time) error  { return nil }
func (c memConn) SetWriteDeadline(time.Time) error { return nil }

// readReply parses the first reply of wire as the client reads a server's.
func readReply(wire []byte) (*smtpreply.Reply, error) {
	return newConn(memConn{bytes.NewReader(wire)}).reply(time.Second)
}

// isEnhancedWord reports whether w is an enhanced status code in the
// syntax of RFC 3463 §2: class "." subject "." detail, the class 2, 4 or
// 5, subject and detail 1*3digit.
func isEnhancedWord(w string) bool {
	parts := strings.Split(w, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// checkReply asserts what holds of every reply the client accepts from
// wire: a code of RFC 5321 §4.2 that is the one on the wire, the line
// limits, an enhanced code of the reply's class that the first line
// carried in RFC 3463 syntax and that no longer starts a line of the text.
func checkReply(t *testing.T, wire []byte, r *smtpreply.Reply) {
	t.Helper()
	if r.Code < 200 || r.Code > 599 {
		t.Fatalf("%q: code %d outside 200-599", wire, r.Code)
	}
	if n, err := strconv.Atoi(string(wire[:3])); err != nil || n != r.Code {
		t.Fatalf("%q: code %d, the wire says %q", wire, r.Code, wire[:3])
	}
	lines := strings.Split(r.Text, "\n")
	if len(lines) > maxLines {
		t.Fatalf("%q: %d lines, limit %d", wire, len(lines), maxLines)
	}
	for _, l := range lines {
		if len(l) > maxLine {
			t.Fatalf("%q: a line of %d octets, limit %d", wire, len(l), maxLine)
		}
	}
	if r.Enhanced == (smtpreply.Enhanced{}) {
		return
	}
	if r.Enhanced[0] != r.Code/100 {
		t.Fatalf("%q: enhanced code %s of another class than %d", wire, r.Enhanced, r.Code)
	}
	for _, n := range r.Enhanced {
		if n < 0 || n > 999 {
			t.Fatalf("%q: enhanced code %v out of range", wire, r.Enhanced)
		}
	}
	first, _, _ := bytes.Cut(wire, []byte("\n"))
	first = bytes.TrimSuffix(first, []byte("\r"))
	word, _, _ := strings.Cut(string(first[min(4, len(first)):]), " ")
	if !isEnhancedWord(word) {
		t.Fatalf("%q: enhanced code %s taken from %q, which is not RFC 3463 syntax", wire, r.Enhanced, word)
	}
	if w, _, _ := strings.Cut(lines[0], " "); isEnhancedWord(w) && w == word {
		t.Fatalf("%q: the first line's enhanced code %q was left in the text %q", wire, word, lines[0])
	}
}

// FuzzReply feeds arbitrary server output to the client's reply reader
// (conn.reply). It must not panic; a reply it accepts must pass
// checkReply, and, when its text is printable, the reply written back
// with Reply.Lines (as a server would send it) must read back the same.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		"220 mx.example.org ESMTP\r\n",
		"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n",
		"550-5.1.1 no such\r\n550 5.1.1 user\r\n",
		"451 5.1.1 class mismatch\r\n",
		"250\r\n",
		"354 go ahead\n",
		"250-a\r\n251 b\r\n",
		"250 2.0.0\r\n",
		"552 5.3.4 " + strings.Repeat("x", 3000) + "\r\n",
		"421-4.7.0 try\r\n421-later\r\n421 4.7.0 again\r\n",
		"999 x\r\n",
		"25\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		r, err := readReply(wire)
		if err != nil {
			return
		}
		checkReply(t, wire, r)
		if !printable(r.Text) {
			return
		}
		again, err := readReply([]byte(strings.Join(r.Lines(), "\r\n") + "\r\n"))
		if err != nil {
			t.Fatalf("%q: %+v written back does not read: %v", wire, r, err)
		}
		if *again != *r {
			t.Fatalf("%q: %+v written back reads as %+v", wire, r, again)
		}
	})
}

// printable reports whether s is valid UTF-8 without control characters
// other than the line separator (what Reply.Lines keeps as it is).
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f) })
}

// FuzzReplyRoundTrip builds a valid reply (a code, an optional enhanced
// code of its class, printable lines within the limits), writes it as a
// server would (Reply.Lines) and checks that the client reads back its
// code, enhanced code and lines exactly.
func FuzzReplyRoundTrip(f *testing.F) {
	f.Add(250, true, uint16(0), uint16(0), "OK")
	f.Add(550, true, uint16(1), uint16(1), "no such\nuser")
	f.Add(220, false, uint16(0), uint16(0), "mx.example.org ESMTP")
	f.Add(250, false, uint16(0), uint16(0), "mx.example.org\nPIPELINING\nSIZE 1000\n8BITMIME")
	f.Add(451, true, uint16(7), uint16(1), "4.7.1 greylisted\n\nlater")
	f.Add(354, false, uint16(0), uint16(0), "")
	f.Add(552, true, uint16(999), uint16(999), " leading and trailing ")
	f.Fuzz(func(t *testing.T, code int, enh bool, subject, detail uint16, text string) {
		code = 200 + (code%400+400)%400 // 200-599
		r := smtpreply.Reply{Code: code, Text: text}
		if enh && code/100 != 3 {
			r.Enhanced = smtpreply.Enhanced{code / 100, int(subject % 1000), int(detail % 1000)}
		}
		lines := strings.Split(text, "\n")
		if !printable(text) || len(lines) > maxLines {
			return // not a valid reply
		}
		if len(text)+len(lines)*len(" 999.999.999 ") > maxText {
			return // lines past maxText are not kept
		}
		for _, l := range lines {
			if len(l)+len("250 999.999.999 ") > maxLine {
				return // would be cut
			}
		}
		if w, _, _ := strings.Cut(lines[0], " "); r.Enhanced == (smtpreply.Enhanced{}) && isEnhancedWord(w) {
			return // the first word would be read as the reply's enhanced code
		} else if r.Enhanced != (smtpreply.Enhanced{}) && w == r.Enhanced.String() {
			return // "2.0.0 2.0.0": checkReply cannot tell the text's word from the code
		}
		wire := strings.Join(r.Lines(), "\r\n") + "\r\n"
		got, err := readReply([]byte(wire))
		if err != nil {
			t.Fatalf("%+v sent as %q: %v", r, wire, err)
		}
		if *got != r {
			t.Fatalf("%+v sent as %q reads as %+v", r, wire, got)
		}
		checkReply(t, []byte(wire), got)
	})
}

// isKeyword reports whether k is an ehlo-keyword of RFC 5321 §4.1.1.1
// (ALPHA / DIGIT, then ALPHA / DIGIT / "-") in upper case.
func isKeyword(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// FuzzEHLO feeds arbitrary EHLO reply text (the lines of the reply, as
// conn.reply returns them) to parseEHLO. Every keyword must be an
// upper-case ehlo-keyword that one of the lines after the first announced
// in some case, with that line's parameters; there are no more keywords
// than such lines; and the lookups built on them stay in range.
func FuzzEHLO(f *testing.F) {
	for _, s := range []string{
		"mx.example.org greets you\nPIPELINING\nSIZE 10240000\n8BITMIME\nSTARTTLS\nENHANCEDSTATUSCODES\nSMTPUTF8\nCHUNKING",
		"fake\nsize 1000\nAUTH LOGIN plain\n8BITMIME",
		"fake\nSIZE",
		"fake\nSIZE -5\nAUTH=LOGIN PLAIN\nAUTH CRAM-MD5",
		"fake\n  SIZE   99  \n\n\nX-EXPS GSSAPI NTLM",
		"fake\nſmtputf8\nſtarttlſ",
		"fake\nSIZE 99999999999999999999",
		"PIPELINING",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ext := parseEHLO(text)
		lines := strings.Split(text, "\n")
		if len(ext) > len(lines)-1 {
			t.Fatalf("%q: %d keywords from %d lines", text, len(ext), len(lines)-1)
		}
		for kw, param := range ext {
			if !isKeyword(kw) {
				t.Fatalf("%q: keyword %q is not an upper-case ehlo-keyword", text, kw)
			}
			found := false
			for _, l := range lines[1:] {
				k, p, _ := strings.Cut(strings.TrimSpace(l), " ")
				if strings.EqualFold(k, kw) && len(k) == len(kw) && p == param {
					found = true
				}
			}
			if !found {
				t.Fatalf("%q: keyword %q with %q announced by no line after the first", text, kw, param)
			}
		}
		if n := ext.maxSize(); n < 0 {
			t.Fatalf("%q: SIZE limit %d", text, n)
		}
		if ext.authPlain() && !ext.has("AUTH") {
			t.Fatalf("%q: PLAIN without AUTH", text)
		}
	})
}
