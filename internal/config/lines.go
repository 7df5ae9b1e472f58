package config

import (
	"errors"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyLines maps each key of the file (toml.Key.String form) to the line of
// its value, for the errors of Validate, which sees only the decoded Config.
func keyLines(md *toml.MetaData, table map[string]toml.Primitive, path toml.Key, out map[string]int) {
	for name, prim := range table {
		key := child(path, name)
		if line := keyLine(md, prim); line > 0 {
			out[key.String()] = line
		}
		if typ := md.Type(key...); typ != "Hash" && typ != "" { // "": a table made implicitly by [a.b]
			continue
		}
		var sub map[string]toml.Primitive
		if err := md.PrimitiveDecode(prim, &sub); err == nil {
			keyLines(md, sub, key, out)
		}
	}
}

// addLines gives each *Error without a line the line of its key in the
// file: the key itself ("listen.smtp[1]" is looked up as "listen.smtp"),
// else the nearest enclosing table that the file has ("tls.key" missing
// beside tls.cert points at [tls]). Keys the file lacks get no line.
func addLines(errs []error, lines map[string]int) {
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) || e.Line > 0 || e.Key == "" {
			continue
		}
		key, _, _ := strings.Cut(e.Key, "[")
		for key != "" {
			if line, ok := lines[key]; ok {
				e.Line = line
				break
			}
			i := strings.LastIndexByte(key, '.')
			if i < 0 {
				break
			}
			key = key[:i]
		}
	}
}
