package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// typeError turns a decoding error for the key path into an *Error naming
// the key and, for a type mismatch, the type the key wants.
func typeError(md *toml.MetaData, path toml.Key, want reflect.Type, err error) error {
	e := decodeError(path.String(), err)
	found, ok := strings.CutPrefix(e.Msg, "incompatible types: TOML value has type ")
	if !ok {
		return e
	}
	found, _, _ = strings.Cut(found, ";")
	e.Msg = "want " + describe(want) + "; found " + goTypeName(found)
	if md.Type(path...) == "Array" && want.Kind() == reflect.Slice {
		e.Msg += " in the array"
	}
	return e
}

// goTypeName names, in TOML's terms, a Go type that the toml package
// decodes a TOML value into.
func goTypeName(t string) string {
	switch t {
	case "int64":
		return "an integer"
	case "float64":
		return "a float"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "[]any":
		return "an array"
	case "map[string]any":
		return "a table"
	}
	return t
}

// decodeError converts an error of the toml package into an *Error for key.
func decodeError(key string, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		if key == "" {
			key = pe.LastKey
		}
		return &Error{Key: key, Line: pe.Position.Line, Msg: pe.Message}
	}
	line, msg := stripLocation(err.Error())
	return &Error{Key: key, Line: line, Msg: msg}
}

// stripLocation removes the `toml: line N (last key "k"): ` prefix of the
// toml package's plain errors, returning the line.
func stripLocation(msg string) (line int, rest string) {
	rest, ok := strings.CutPrefix(msg, "toml: ")
	if !ok {
		return 0, msg
	}
	if r, ok := strings.CutPrefix(rest, "line "); ok {
		num, after, _ := strings.Cut(r, " ")
		line, _ = strconv.Atoi(num)
		rest = after
	}
	if strings.HasPrefix(rest, "(last key ") {
		if _, after, ok := strings.Cut(rest, "): "); ok {
			rest = after
		}
	}
	return line, rest
}

// keyLine finds the line of a value: the toml package reports positions
// only in its errors, so decode the value into a probe that always fails.
func keyLine(md *toml.MetaData, prim toml.Primitive) int {
	if err := md.PrimitiveDecode(prim, &lineProbe{}); err != nil {
		return decodeError("", err).Line
	}
	return 0
}

// lineProbe rejects every value.
type lineProbe struct{}

func (*lineProbe) UnmarshalText([]byte) error { return errors.New("probe") }

// describe names the TOML value a Go type wants, for error messages.
func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Size]():
		return `a size such as "50MB"`
	case reflect.TypeFor[Duration]():
		return `a duration such as "4h"`
	case reflect.TypeFor[[]Duration]():
		return `an array of durations such as ["5m", "1h"]`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	}
	return fmt.Sprint(t)
}

// tomlType names a type reported by toml.MetaData.Type in TOML's terms.
func tomlType(t string) string {
	switch t {
	case "Hash":
		return "a table"
	case "ArrayHash":
		return "an array of tables"
	case "":
		return "nothing"
	}
	return "a value of type " + strings.ToLower(t)
}
