package config

import (
	"fmt"
	"strconv"
)

// Error is one problem in a configuration: the key it concerns (e.g.
// "listen.smtp[0]"; empty for a syntax error before any key), the line in the
// file where known, and what is wrong.
type Error struct {
	Key  string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Key != "" && e.Line > 0:
		return e.Key + " (line " + strconv.Itoa(e.Line) + "): " + e.Msg
	case e.Key != "":
		return e.Key + ": " + e.Msg
	case e.Line > 0:
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// problems collects Errors.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
}
