package imapd

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// status is a typed status response (RFC 9051 §7.1): its kind, an
// optional response code, and human-readable text that we write
// ourselves (never a Go error's text).
type status struct {
	kind string // OK, NO, BAD, BYE, PREAUTH
	code string // response code without brackets, e.g. "TRYCREATE"
	text string
}

func respOK(text string) status           { return status{kind: "OK", text: text} }
func respOKCode(code, text string) status { return status{kind: "OK", code: code, text: text} }
func respNO(text string) status           { return status{kind: "NO", text: text} }
func respNOCode(code, text string) status { return status{kind: "NO", code: code, text: text} }
func respBAD(text string) status          { return status{kind: "BAD", text: text} }
func respBADCode(code, text string) status {
	return status{kind: "BAD", code: code, text: text}
}

// writer writes responses. Errors are sticky and reported by flush,
// which also gives the buffer back (see bufWriter).
type writer struct {
	bw *bufWriter
}

func (w *writer) raw(s string)                { w.bw.WriteString(s) }
func (w *writer) byte(c byte)                 { w.bw.WriteByte(c) }
func (w *writer) crlf()                       { w.bw.WriteString("\r\n") }
func (w *writer) num(n uint64)                { w.bw.Write(strconv.AppendUint(w.bw.AvailableBuffer(), n, 10)) }
func (w *writer) num32(n uint32)              { w.num(uint64(n)) }
func (w *writer) int(n int64)                 { w.bw.Write(strconv.AppendInt(w.bw.AvailableBuffer(), n, 10)) }
func (w *writer) flush() error                { return w.bw.Flush() }
func (w *writer) Write(p []byte) (int, error) { return w.bw.Write(p) }

// flags writes a message's FLAGS list.
func (w *writer) flags(m store.Message, recent bool) {
	w.bw.Write(imapmsg.AppendFlagsList(w.bw.AvailableBuffer(), m.Flags, m.Keywords, recent))
}

// status writes "tag kind [code] text"; tag "*" is untagged.
func (w *writer) status(tag string, st status) {
	w.raw(tag)
	w.byte(' ')
	w.raw(st.kind)
	w.byte(' ')
	if st.code != "" {
		w.byte('[')
		w.raw(st.code)
		w.raw("] ")
	}
	text := st.text
	if text == "" {
		text = "done"
	}
	w.raw(text)
	w.crlf()
}

// quotable reports whether s can be sent as a quoted string: no CR, LF or
// NUL, and ASCII unless utf8 (RFC 9051 §4.3: quoted UTF-8 is IMAP4rev2).
func quotable(s string, utf8OK bool) bool {
	if len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 {
			return false
		}
		if c >= 0x80 && !utf8OK {
			return false
		}
	}
	return !utf8OK || utf8.ValidString(s)
}

// str writes s as a quoted string, or a literal when it cannot be quoted.
func (w *writer) str(s string, utf8OK bool) {
	w.bw.Write(appendString(w.bw.AvailableBuffer(), s, utf8OK))
}

// appendString appends s as a quoted string, or a literal when it cannot
// be quoted.
func appendString(b []byte, s string, utf8OK bool) []byte {
	if !quotable(s, utf8OK) {
		b = append(b, '{')
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, "}\r\n"...)
		return append(b, strings.ReplaceAll(s, "\x00", "\x80")...) // RFC 9051 §4.3.1: see nulSafe
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// astring writes s as an atom when it is one, else as a string.
func (w *writer) astring(s string, utf8OK bool) {
	if s != "" && !isNIL(s) {
		atom := true
		for i := 0; i < len(s); i++ {
			if !isAtomChar(s[i], true) {
				atom = false
				break
			}
		}
		if atom {
			w.raw(s)
			return
		}
	}
	w.str(s, utf8OK)
}

func isNIL(s string) bool {
	return len(s) == 3 && (s[0]|0x20) == 'n' && (s[1]|0x20) == 'i' && (s[2]|0x20) == 'l'
}

// literal writes a literal of n octets copied from r (streamed, never held
// whole in memory). binary writes literal8 (RFC 3516 §4.3).
func (w *writer) literal(n int64, r io.Reader, binary bool) error {
	if binary {
		w.byte('~')
	}
	w.byte('{')
	w.int(n)
	w.raw("}\r\n")
	if binary {
		_, err := io.CopyN(w.bw, r, n)
		return err
	}
	_, err := io.CopyN(nulSafe{w.bw}, r, n)
	return err
}

// nulSafe writes a plain literal's octets through the buffer with each
// NUL replaced by 0x80. RFC 9051 §4.3.1: NUL may go only in a literal8.
// APPEND stores no NUL outside a base64 part (append_nul.go), but a
// message stored before it did may hold some; the replacement keeps every
// size true (one octet for one), as Dovecot does.
type nulSafe struct{ b *bufWriter }

// ReadFrom reads into the free space of the buffer, replaces NUL there
// and writes it: no buffer of its own (io.CopyN calls it).
func (s nulSafe) ReadFrom(r io.Reader) (int64, error) {
	bw := s.b.buf(bigWriteBufSize)
	var total int64
	for {
		if bw.Available() == 0 {
			if err := bw.Flush(); err != nil {
				return total, err
			}
		}
		p := bw.AvailableBuffer()[:bw.Available()]
		n, err := r.Read(p)
		replaceNUL(p[:n])
		if _, werr := bw.Write(p[:n]); werr != nil {
			return total, werr
		}
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Write is io.Writer's (io.CopyN takes ReadFrom instead).
func (s nulSafe) Write(p []byte) (int, error) {
	n := len(p)
	for i := bytes.IndexByte(p, 0); i >= 0; i = bytes.IndexByte(p, 0) {
		s.b.Write(p[:i])
		s.b.WriteByte(0x80)
		p = p[i+1:]
	}
	if _, err := s.b.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// replaceNUL replaces each NUL of p by 0x80, in place.
func replaceNUL(p []byte) {
	for i := bytes.IndexByte(p, 0); i >= 0; i = bytes.IndexByte(p, 0) {
		p[i] = 0x80
		p = p[i+1:]
	}
}
