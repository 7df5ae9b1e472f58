package managesieve

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Command is one parsed command: its name, upper-cased, and its
// arguments (RFC 5804 §4: "command = name *(SP argument) CRLF").
type Command struct {
	Name string
	Args []Arg
}

// Arg is one argument: a string (quoted or literal) or a number.
type Arg struct {
	Str      string
	IsNumber bool
	Num      int64
}

// Parse errors. Their text never reaches the wire: the session answers
// them with replies of its own.
var (
	// errSyntax: the command is malformed; the rest of it was skipped and
	// the session may go on.
	errSyntax = errors.New("syntax error")
	// errLineTooLong: a line of the command is longer than the bound.
	errLineTooLong = errors.New("line too long")
	// errLiteralTooLarge: a literal is larger than the bound; the client
	// is sending it already (non-synchronizing), so the session ends.
	errLiteralTooLarge = errors.New("literal too large")
)

// maxArgs bounds the arguments of one command (RENAMESCRIPT has two,
// AUTHENTICATE three); a few more are read and refused.
const maxArgs = 8

// Limits bound what one command may cost to read.
type Limits struct {
	// MaxLine bounds each line of a command (the octets outside its
	// literals), CRLF included.
	MaxLine int
	// MaxLiteral bounds one literal.
	MaxLiteral int
}

// parser reads commands from a stream.
type parser struct {
	r   *bufio.Reader
	lim Limits
}

// readCommand reads and parses one command: its lines and literals. On
// errSyntax the command has been read to its end (literals included),
// so the next read starts at the next command.
func (p *parser) readCommand() (Command, error) {
	line, err := p.readLine()
	if err != nil {
		return Command{}, err
	}
	name, rest, _ := strings.Cut(line, " ")
	if !isAtom(name) {
		return Command{}, p.skip(line)
	}
	args, err := p.readArgs(line, rest)
	if err != nil {
		return Command{}, err
	}
	return Command{Name: strings.ToUpper(name), Args: args}, nil
}

// readString reads one string on a line of its own: a SASL response
// (RFC 5804 §2.1: "*(CRLF string)").
func (p *parser) readString() (string, error) {
	line, err := p.readLine()
	if err != nil {
		return "", err
	}
	args, err := p.readArgs(line, line)
	if err != nil {
		return "", err
	}
	if len(args) != 1 || args[0].IsNumber {
		return "", errSyntax
	}
	return args[0].Str, nil
}

// readArgs parses the arguments in rest, the end of line, reading the
// literals and the lines that follow them.
func (p *parser) readArgs(line, rest string) ([]Arg, error) {
	var args []Arg
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return args, nil
		}
		if len(args) == maxArgs {
			return nil, p.skip(line)
		}
		var a Arg
		ok := false
		switch c := rest[0]; {
		case c == '"':
			a.Str, rest, ok = parseQuoted(rest)
		case c == '{':
			var n int64
			if n, _, ok = literalHeader(rest); ok {
				if n > int64(p.lim.MaxLiteral) {
					return nil, errLiteralTooLarge
				}
				var err error
				if a.Str, err = p.readLiteral(int(n)); err != nil {
					return nil, err
				}
				// After a literal the command goes on on a new line.
				if line, err = p.readLine(); err != nil {
					return nil, err
				}
				rest = line
			}
		case c >= '0' && c <= '9':
			a.IsNumber = true
			a.Num, rest, ok = parseNumber(rest)
		}
		if !ok || (rest != "" && rest[0] != ' ') {
			return nil, p.skip(line)
		}
		args = append(args, a)
	}
}

// readLine reads one line and returns it without its CRLF (a bare LF is
// taken as well). A line longer than MaxLine is errLineTooLong.
func (p *parser) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := p.r.ReadSlice('\n')
		if len(buf)+len(chunk) > p.lim.MaxLine {
			return "", errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
			return string(buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}

// readLiteral reads the n octets of a literal.
func (p *parser) readLiteral(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return string(b), nil
}

// skip reads the rest of a malformed command: when its line ends in a
// literal's header, the literal and the lines after it belong to the
// command too. It returns errSyntax, or the error that stopped it.
func (p *parser) skip(line string) error {
	for {
		i := strings.LastIndexByte(line, '{')
		if i < 0 {
			return errSyntax
		}
		n, _, ok := literalHeader(line[i:])
		if !ok {
			return errSyntax
		}
		if n > int64(p.lim.MaxLiteral) {
			return errLiteralTooLarge
		}
		if _, err := p.r.Discard(int(n)); err != nil {
			return err
		}
		var err error
		if line, err = p.readLine(); err != nil {
			return err
		}
	}
}

// literalHeader parses "{N+}" or "{N}" ending a line (RFC 5804 §4:
// literal-c2s is "{" number "+}" CRLF *OCTET). The synchronizing form
// {N} is for server-to-client literals only, and ManageSieve has no
// continuation request to send for it (clients never wait for one), so
// {N} from a client is read the same way, as other servers do.
func literalHeader(s string) (n int64, plus, ok bool) {
	if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' {
		return 0, false, false
	}
	digits := s[1 : len(s)-1]
	if strings.HasSuffix(digits, "+") {
		digits, plus = digits[:len(digits)-1], true
	}
	n, rest, ok := parseNumber(digits)
	return n, plus, ok && rest == ""
}

// parseNumber parses a number at the start of s (RFC 5804 §4: "number =
// 1*DIGIT ;; A 32-bit unsigned number"): digits, at most 4294967295.
func parseNumber(s string) (int64, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 10 {
		return 0, s, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > 1<<32-1 {
		return 0, s, false
	}
	return n, s[i:], true
}

// parseQuoted parses a quoted string at the start of s (RFC 5804 §4:
// "quoted = DQUOTE *QUOTED-CHAR DQUOTE", where a backslash escapes only
// DQUOTE and backslash, and CR, LF and NUL cannot appear). The 1024-octet
// bound of the grammar is not enforced: the line bound applies.
func parseQuoted(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 == len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return "", s, false
			}
			i++
			b.WriteByte(s[i])
		case 0, '\r', '\n':
			return "", s, false
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// isAtom reports whether s is a command name: letters only (RFC 5804 §4
// names its commands with letters).
func isAtom(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
