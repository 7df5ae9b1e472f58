package sieve

import (
	"fmt"
	"strings"
)

// Pos is a place in a script: 1-based line and column (in bytes).
type Pos struct{ Line, Col int }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Error is a compile error with the place it was found.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tTag
	tNumber
	tString
	tPunct // one of [ ] ( ) { } , ;
)

type token struct {
	kind tokKind
	pos  Pos
	text string // identifier/tag name (lowercased), string value, punctuation
	num  uint64
}

// lexer splits a script into tokens (RFC 5228 §8.1).
type lexer struct {
	src       string
	off       int
	line, col int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) errf(p Pos, format string, a ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

// skip passes white space and comments (RFC 5228 §8.1: hash-comment and
// bracket-comment).
func (l *lexer) skip() *Error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance(1)
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '/' && strings.HasPrefix(l.src[l.off:], "/*"):
			p := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				return l.errf(p, "unterminated comment")
			}
			l.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) next() (token, *Error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	p := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p}, nil
	}
	c := l.src[l.off]
	switch {
	case strings.IndexByte("[](){},;", c) >= 0:
		l.advance(1)
		return token{kind: tPunct, pos: p, text: string(c)}, nil
	case c == '"':
		return l.quoted(p)
	case c == ':':
		l.advance(1)
		if l.off >= len(l.src) || !isAlpha(l.src[l.off]) {
			return token{}, l.errf(p, "a tag needs a name after ':'")
		}
		return token{kind: tTag, pos: p, text: strings.ToLower(l.ident())}, nil
	case isDigit(c):
		return l.number(p)
	case isAlpha(c):
		id := l.ident()
		if strings.EqualFold(id, "text") && l.off < len(l.src) && l.src[l.off] == ':' {
			l.advance(1)
			return l.multiline(p)
		}
		return token{kind: tIdent, pos: p, text: strings.ToLower(id)}, nil
	}
	return token{}, l.errf(p, "unexpected character %q", c)
}

func (l *lexer) ident() string {
	start := l.off
	for l.off < len(l.src) && (isAlpha(l.src[l.off]) || isDigit(l.src[l.off])) {
		l.advance(1)
	}
	return l.src[start:l.off]
}

// number reads digits and an optional K, M or G quantifier (RFC 5228 §2.4.1).
func (l *lexer) number(p Pos) (token, *Error) {
	var n uint64
	for l.off < len(l.src) && isDigit(l.src[l.off]) {
		d := uint64(l.src[l.off] - '0')
		if n > (1<<63-1-d)/10 {
			return token{}, l.errf(p, "number too large")
		}
		n = n*10 + d
		l.advance(1)
	}
	if l.off < len(l.src) {
		shift := 0
		switch l.src[l.off] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
		if shift > 0 {
			if n > (1<<63-1)>>shift {
				return token{}, l.errf(p, "number too large")
			}
			n <<= shift
			l.advance(1)
		}
	}
	if l.off < len(l.src) && (isAlpha(l.src[l.off]) || isDigit(l.src[l.off])) {
		return token{}, l.errf(l.pos(), "bad character %q after a number", l.src[l.off])
	}
	return token{kind: tNumber, pos: p, num: n}, nil
}

// quoted reads a quoted string; a backslash escapes the next character
// (RFC 5228 §2.4.2).
func (l *lexer) quoted(p Pos) (token, *Error) {
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, l.errf(p, "unterminated string")
		}
		c := l.src[l.off]
		switch c {
		case '"':
			l.advance(1)
			return token{kind: tString, pos: p, text: normalizeNL(b.String())}, nil
		case '\\':
			if l.off+1 >= len(l.src) {
				return token{}, l.errf(p, "unterminated string")
			}
			b.WriteByte(l.src[l.off+1])
			l.advance(2)
		default:
			b.WriteByte(c)
			l.advance(1)
		}
	}
}

// multiline reads "text:" up to a line holding only "."; a leading ".."
// loses one dot (RFC 5228 §2.4.2).
func (l *lexer) multiline(p Pos) (token, *Error) {
	for l.off < len(l.src) && (l.src[l.off] == ' ' || l.src[l.off] == '\t') {
		l.advance(1)
	}
	if l.off < len(l.src) && l.src[l.off] == '#' {
		for l.off < len(l.src) && l.src[l.off] != '\n' {
			l.advance(1)
		}
	}
	if l.off < len(l.src) && l.src[l.off] == '\r' {
		l.advance(1)
	}
	if l.off >= len(l.src) || l.src[l.off] != '\n' {
		return token{}, l.errf(l.pos(), "text: must end its line")
	}
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, l.errf(p, "unterminated multi-line string")
		}
		end := strings.IndexByte(l.src[l.off:], '\n')
		var line string
		if end < 0 {
			line = l.src[l.off:]
			end = len(line)
		} else {
			line = l.src[l.off : l.off+end]
			end++
		}
		l.advance(end)
		line = strings.TrimSuffix(line, "\r")
		if line == "." {
			return token{kind: tString, pos: p, text: b.String()}, nil
		}
		if strings.HasPrefix(line, "..") {
			line = line[1:]
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
}

// normalizeNL makes every line end in CRLF, as Sieve strings hold
// (RFC 5228 §2.4.2).
func normalizeNL(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
