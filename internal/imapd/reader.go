package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
)

// syntaxError is a command the server could not parse. Its text is ours
// (never a Go error's) and goes on the wire in a tagged or untagged BAD.
type syntaxError struct {
	kind string // "BAD" (default) or "NO"
	code string // response code, e.g. "TOOBIG"; empty for none
	msg  string
	// fatal: the input stream is no longer in sync (an oversized
	// non-synchronizing literal was not consumed): BYE and close.
	fatal bool
}

func (e *syntaxError) Error() string { return e.msg }

func errSyntax(msg string) error { return &syntaxError{msg: msg} }

// errLineTooLong is a command line over the limit; the rest of the line
// has been discarded.
var errLineTooLong = &syntaxError{code: "TOOBIG", msg: "Command line too long"}

// Continuer sends the continuation request for a synchronizing literal
// (RFC 9051 §7.5): "+ Ready". A non-nil error aborts the literal.
type continuer func() error

// reader reads the command stream: one line at a time, with the literals
// that lines announce (RFC 9051 §4.3; RFC 7888 LITERAL+).
type reader struct {
	br      *bufio.Reader
	line    []byte // current line segment, without CRLF
	pos     int
	maxLine int
	// maxLiteral bounds ordinary string literals (not APPEND messages),
	// each and all those of one command together: litLeft is what the
	// current command may still send.
	maxLiteral, litLeft int64
	// maxSkip bounds a literal that skipCommand reads and throws away;
	// past it the session ends.
	maxSkip int64
	cont    continuer
	// long: the current line went over maxLine. Its first maxLine octets
	// are in line (for the tag), the rest is discarded as it comes (also
	// across the deadline wakes of IDLE), and tail watches it for the
	// literal announcement that may end it.
	long bool
	tail litScan
}

func newReader(br *bufio.Reader, maxLine int, maxLiteral int64, cont continuer) *reader {
	return &reader{br: br, maxLine: maxLine, maxLiteral: maxLiteral, maxSkip: defaultMaxSkip, cont: cont}
}

// defaultMaxSkip is the largest literal a refused command may still send:
// a message at the default APPENDLIMIT fits.
const defaultMaxSkip = 64 << 20

// readLine reads the next line segment into r.line.
func (r *reader) readLine() error {
	r.line = r.line[:0]
	r.pos = 0
	r.long = false
	return r.readRest()
}

// readRest reads on to the end of the line segment begun in r.line: after
// an error (a deadline that woke an IDLE session), what was read of the
// line is kept and the next readRest goes on from there. A line over
// maxLine is read to its end and refused with errLineTooLong; the chunk
// that crossed the limit may already hold the end of the line.
func (r *reader) readRest() error {
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !r.long && len(r.line)+len(chunk) > r.maxLine {
			// The announcement that ends the line may have begun in what
			// is kept: the scanner sees the whole line, kept part first.
			r.long, r.tail = true, litScan{}
			r.tail.feed(r.line)
			r.line = append(r.line, chunk[:r.maxLine-len(r.line)]...)
		}
		if r.long {
			r.tail.feed(chunk)
		} else {
			r.line = append(r.line, chunk...)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(r.line) > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	if r.long {
		r.pos = len(r.line)
		return errLineTooLong
	}
	r.line = bytes.TrimSuffix(r.line, []byte("\n"))
	r.line = bytes.TrimSuffix(r.line, []byte("\r"))
	return nil
}

// headTag is the tag at the start of an over-long line, "" when there is
// none: the refusal is tagged, so that a client waiting for the
// continuation of a synchronizing literal learns that the command is over.
func (r *reader) headTag() string {
	end := bytes.IndexByte(r.line, ' ')
	if end <= 0 {
		return ""
	}
	for _, c := range r.line[:end] {
		if !isAtomChar(c, false) || c == '+' {
			return ""
		}
	}
	return string(r.line[:end])
}

// litScan recognises a literal announcement ("{n}", "{n+}", "~{n+}" with
// any number of digits) at the end of a line that is seen in pieces and
// not kept: the end of an over-long line.
type litScan struct {
	state   int8 // 0 none, 1 in "{digits", 2 after "+", 3 after "}", 4 after "}\r", 5 line ended after "}"
	digits  bool
	nonSync bool
	n       int64 // saturates at math.MaxInt64
}

func (l *litScan) feed(b []byte) {
	for _, c := range b {
		switch {
		case c == '{':
			*l = litScan{state: 1}
		case l.state == 1 && c >= '0' && c <= '9':
			l.digits = true
			if l.n > (math.MaxInt64-9)/10 {
				l.n = math.MaxInt64
			} else {
				l.n = l.n*10 + int64(c-'0')
			}
		case l.state == 1 && c == '+' && l.digits:
			l.state, l.nonSync = 2, true
		case (l.state == 1 && l.digits || l.state == 2) && c == '}':
			l.state = 3
		case l.state == 3 && c == '\r':
			l.state = 4
		case (l.state == 3 || l.state == 4) && c == '\n':
			l.state = 5
		default:
			l.state = 0
		}
	}
}

// literal returns the size of the non-synchronizing literal that ended
// the line, if one did.
func (l *litScan) literal() (int64, bool) {
	return l.n, l.state == 5 && l.nonSync
}

func (r *reader) eol() bool { return r.pos >= len(r.line) }

func (r *reader) peek() byte {
	if r.eol() {
		return 0
	}
	return r.line[r.pos]
}

func (r *reader) expect(c byte) error {
	if r.peek() != c || r.eol() {
		if c == ' ' {
			return errSyntax("Expected a space")
		}
		return errSyntax("Expected '" + string(c) + "'")
	}
	r.pos++
	return nil
}

func (r *reader) sp() error { return r.expect(' ') }

// end requires the end of the command line.
func (r *reader) end() error {
	if !r.eol() {
		return errSyntax("Unexpected characters at the end of the command")
	}
	return nil
}

// isAtomChar reports whether c may appear in an atom (RFC 9051 §9
// ATOM-CHAR); with bracket, ']' is allowed too (ASTRING-CHAR).
func isAtomChar(c byte, bracket bool) bool {
	switch {
	case c <= 0x1f || c >= 0x7f:
		return false
	case c == '(' || c == ')' || c == '{' || c == ' ' || c == '%' || c == '*' || c == '"' || c == '\\':
		return false
	case c == ']':
		return bracket
	}
	return true
}

// atom reads an atom (possibly empty: callers check).
func (r *reader) atomWith(accept func(byte) bool) string {
	start := r.pos
	for r.pos < len(r.line) && accept(r.line[r.pos]) {
		r.pos++
	}
	return string(r.line[start:r.pos])
}

func (r *reader) atom() (string, error) {
	a := r.atomWith(func(c byte) bool { return isAtomChar(c, false) })
	if a == "" {
		return "", errSyntax("Expected an atom")
	}
	return a, nil
}

// flagAtom reads a flag or keyword, including the leading "\".
func (r *reader) flag() (string, error) {
	if r.peek() == '\\' {
		r.pos++
		if r.peek() == '*' {
			r.pos++
			return `\*`, nil
		}
		a, err := r.atom()
		return `\` + a, err
	}
	return r.atom()
}

// number reads a number (RFC 9051 number64 when big).
func (r *reader) number() (uint64, error) {
	start := r.pos
	for r.pos < len(r.line) && r.line[r.pos] >= '0' && r.line[r.pos] <= '9' {
		r.pos++
	}
	n, err := strconv.ParseUint(string(r.line[start:r.pos]), 10, 63)
	if err != nil {
		return 0, errSyntax("Expected a number")
	}
	return n, nil
}

func (r *reader) nzNumber32() (uint32, error) {
	n, err := r.number()
	if err == nil && (n == 0 || n > 0xffffffff) {
		err = errSyntax("Expected a non-zero 32-bit number")
	}
	return uint32(n), err
}

// quoted reads a quoted string (the opening quote is next).
func (r *reader) quoted() (string, error) {
	r.pos++
	var b []byte
	for r.pos < len(r.line) {
		c := r.line[r.pos]
		r.pos++
		switch c {
		case '"':
			return string(b), nil
		case '\\':
			if r.pos >= len(r.line) || (r.line[r.pos] != '"' && r.line[r.pos] != '\\') {
				return "", errSyntax("Bad escape in quoted string")
			}
			b = append(b, r.line[r.pos])
			r.pos++
		default:
			b = append(b, c)
		}
	}
	return "", errSyntax("Unterminated quoted string")
}

// literalHeader parses "{n}", "{n+}" (or "~{n}" when binary is allowed) at
// the end of the current line segment.
func (r *reader) literalHeader(allowBinary bool) (n int64, nonSync, binary bool, err error) {
	if r.peek() == '~' {
		if !allowBinary {
			return 0, false, false, errSyntax("literal8 not allowed here")
		}
		binary = true
		r.pos++
	}
	if err := r.expect('{'); err != nil {
		return 0, false, false, err
	}
	v, err := r.number()
	if err != nil {
		return 0, false, false, err
	}
	if r.peek() == '+' {
		nonSync = true
		r.pos++
	}
	if err := r.expect('}'); err != nil {
		return 0, false, false, err
	}
	if !r.eol() {
		return 0, false, false, errSyntax("Literal must end the line")
	}
	return int64(v), nonSync, binary, nil
}

// tooBig refuses a literal over the limit. A synchronizing literal has not
// been sent, so the command just fails; a non-synchronizing one is
// discarded when small enough, else the stream is lost. The line after a
// discarded literal is left for skipCommand, which reads the literals it
// announces in turn.
func (r *reader) tooBig(n int64, nonSync bool, limit int64) error {
	if !nonSync {
		return &syntaxError{code: "TOOBIG", msg: "Literal too big"}
	}
	if n <= 4*max(limit, r.maxLiteral)+(1<<20) {
		if _, err := io.CopyN(io.Discard, r.br, n); err != nil {
			return err
		}
		if err := r.readLine(); err != nil {
			return err
		}
		return &syntaxError{code: "TOOBIG", msg: "Literal too big"}
	}
	return &syntaxError{code: "TOOBIG", msg: "Literal too big", fatal: true}
}

// startLiteral parses the header, applies the limit and sends the
// continuation request when the literal is synchronizing.
func (r *reader) startLiteral(limit int64, allowBinary bool) (n int64, binary bool, err error) {
	n, nonSync, binary, err := r.literalHeader(allowBinary)
	if err != nil {
		return 0, false, err
	}
	if n > limit {
		return 0, false, r.tooBig(n, nonSync, limit)
	}
	if !nonSync && r.cont != nil {
		if err := r.cont(); err != nil {
			return 0, false, err
		}
	}
	return n, binary, nil
}

// newCommand starts the literal budget of a command.
func (r *reader) newCommand() { r.litLeft = r.maxLiteral }

// literal reads a string literal into memory, then the next line segment.
func (r *reader) literal() ([]byte, error) {
	n, _, err := r.startLiteral(r.litLeft, false)
	if err != nil {
		return nil, err
	}
	r.litLeft -= n
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, err
	}
	return b, r.readLine()
}

// str reads a string: quoted or literal.
func (r *reader) str() (string, error) {
	switch r.peek() {
	case '"':
		return r.quoted()
	case '{':
		b, err := r.literal()
		return string(b), err
	}
	return "", errSyntax("Expected a string")
}

// astring reads an atom (with ']'), a quoted string or a literal.
func (r *reader) astring() (string, error) {
	switch r.peek() {
	case '"', '{':
		return r.str()
	}
	a := r.atomWith(func(c byte) bool { return isAtomChar(c, true) })
	if a == "" {
		return "", errSyntax("Expected a string")
	}
	return a, nil
}

// listMailbox reads a LIST pattern: an astring that may hold '%' and '*'.
func (r *reader) listMailbox() (string, error) {
	switch r.peek() {
	case '"', '{':
		return r.str()
	}
	a := r.atomWith(func(c byte) bool { return isAtomChar(c, true) || c == '%' || c == '*' })
	if a == "" {
		return "", errSyntax("Expected a mailbox pattern")
	}
	return a, nil
}

// list parses "(" item *(SP item) ")" calling item for each; an empty
// list is allowed.
func (r *reader) list(item func() error) error {
	if err := r.expect('('); err != nil {
		return err
	}
	if r.peek() == ')' {
		r.pos++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if r.peek() == ')' {
			r.pos++
			return nil
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
}

// skipCommand discards the rest of a command that failed to parse: the
// rest of the line, and the literals of non-synchronizing announcements
// (RFC 7888) with the lines after them, over-long lines included. A
// synchronizing literal got no continuation, so the client does not send
// it (RFC 9051 §7.5).
func (r *reader) skipCommand() error {
	for {
		n, ok := r.pendingLiteral()
		if !ok {
			return nil
		}
		if n > r.maxSkip {
			return &syntaxError{msg: "Literal too big", fatal: true}
		}
		if _, err := io.CopyN(io.Discard, r.br, n); err != nil {
			return err
		}
		if err := r.readLine(); err != nil && err != errLineTooLong {
			return err
		}
	}
}

// pendingLiteral is the size of the non-synchronizing literal announced at
// the end of the current line segment and not read yet.
func (r *reader) pendingLiteral() (int64, bool) {
	if r.long {
		return r.tail.literal()
	}
	line := r.line
	i := bytes.LastIndexByte(line, '{')
	if i < r.pos || !bytes.HasSuffix(line, []byte("+}")) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(line[i+1:len(line)-2]), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}
