package config

import (
	"cmp"
	"os"
	"reflect"
	"slices"

	"github.com/BurntSushi/toml"
)

// Load reads the TOML file at path over Default() and validates the result.
// Unknown keys, values of the wrong type and invalid values are all
// reported, each as an *Error naming its key; the Config is nil if there
// is any problem.
func Load(path string) (*Config, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{err}
	}
	return parse(string(data), true)
}

// Parse is Load for a file's contents, without looking for the files the
// configuration names (tls.cert, tls.key).
func Parse(data string) (*Config, []error) { return parse(data, false) }

func parse(data string, checkFiles bool) (*Config, []error) {
	c := Default()
	var root map[string]toml.Primitive
	md, err := toml.Decode(data, &root)
	if err != nil {
		return nil, []error{decodeError("", err)}
	}
	errs := decodeTable(&md, root, reflect.ValueOf(c).Elem(), nil)
	slices.SortStableFunc(errs, func(a, b error) int {
		return cmp.Compare(a.(*Error).Line, b.(*Error).Line)
	})
	invalid := c.Validate()
	if checkFiles {
		invalid = append(invalid, c.checkFiles()...)
	}
	lines := map[string]int{}
	keyLines(&md, root, nil, lines)
	addLines(invalid, lines)
	errs = append(errs, invalid...)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}
