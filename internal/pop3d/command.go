package pop3d

import (
	"errors"
	"strings"
)

// Command is one parsed command line.
type Command struct {
	// Name is the keyword, upper-cased.
	Name string
	// Args are the arguments. PASS has exactly one, the rest of the line
	// as sent, spaces included (RFC 1939 §7: "a POP3 server may treat
	// spaces in the argument as part of the password").
	Args []string
}

// Parse errors. Their text never reaches the wire: the session answers
// them with replies of its own.
var (
	errEmptyLine  = errors.New("empty command line")
	errBadKeyword = errors.New("bad command keyword")
	errBadArgs    = errors.New("bad command arguments")
)

// maxArgs bounds the arguments of one command (TOP and AUTH take two).
const maxArgs = 8

// ParseCommand parses one command line without its line ending. RFC 1939
// §3: "Commands in the POP3 consist of a case-insensitive keyword,
// possibly followed by one or more arguments ... Keywords and arguments
// consist of printable ASCII characters. Keywords and arguments are each
// separated by a single SPACE character. Keywords are three or four
// characters long." Runs of spaces and trailing spaces are tolerated, and
// arguments are not limited to 40 characters (user names often are
// longer); the session bounds the line length.
func ParseCommand(line string) (Command, error) {
	if strings.TrimSpace(line) == "" {
		return Command{}, errEmptyLine
	}
	kw, rest, _ := strings.Cut(line, " ")
	if len(kw) < 3 || len(kw) > 4 {
		return Command{}, errBadKeyword
	}
	for i := 0; i < len(kw); i++ {
		if c := kw[i] | 0x20; c < 'a' || c > 'z' {
			return Command{}, errBadKeyword
		}
	}
	cmd := Command{Name: strings.ToUpper(kw)}
	if cmd.Name == "PASS" {
		// The password is everything after the one separating space.
		if rest == "" || !printable(rest, true) {
			return Command{}, errBadArgs
		}
		cmd.Args = []string{rest}
		return cmd, nil
	}
	if !printable(rest, false) {
		return Command{}, errBadArgs
	}
	cmd.Args = strings.Fields(rest)
	if len(cmd.Args) > maxArgs {
		return Command{}, errBadArgs
	}
	return cmd, nil
}

// printable reports whether s holds printable ASCII and spaces only; with
// utf8 (passwords), bytes above 0x7f are allowed too.
func printable(s string, utf8 bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || (c > 0x7f && !utf8) {
			return false
		}
	}
	return true
}

// parseNumber parses a decimal argument of RFC 1939 §3 (a message
// number, TOP's line count): digits only, no sign, at most 9 of them.
func parseNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
