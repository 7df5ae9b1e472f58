package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// docPath is the configuration reference kept in step with full.toml and
// Config by TestConfigurationDoc.
const docPath = "../../docs/configuration.md"

// proseDefaults are the keys whose default docs/configuration.md gives in
// words, because it depends on the machine.
var proseDefaults = map[string]bool{"hostname": true}

// TestConfigurationDoc checks that docs/configuration.md documents exactly
// the keys of full.toml, that full.toml has every key Config decodes, that
// each documented default is config.Default's, and that the TOML examples
// of the doc and of README.md load.
func TestConfigurationDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("the configuration reference is missing: %v", err)
	}
	full, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range docProblems(string(doc), string(full)) {
		t.Error(p)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !tomlBlock.Match(readme) {
		t.Error("README.md has no TOML example")
	}
	for _, p := range exampleProblems("README.md", string(readme)) {
		t.Error(p)
	}
}

// TestDocProblemsFindsDrift edits the real doc and full.toml the way they
// drift apart and checks that each edit is reported.
func TestDocProblemsFindsDrift(t *testing.T) {
	docBytes, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	fullBytes, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	doc, full := string(docBytes), string(fullBytes)
	const row = "| `smtp.max_recipients` | `100` |"
	const fileLine = "max_recipients = 100"
	if !strings.Contains(doc, row) || !strings.Contains(full, fileLine) {
		t.Fatalf("doc lacks %q or full.toml lacks %q: update this test", row, fileLine)
	}
	dropLine := func(s, prefix string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, prefix) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	tests := []struct {
		name      string
		doc, full string
		want      string
	}{
		{"undocumented key", dropLine(doc, row), full,
			"smtp.max_recipients: in full.toml but not documented"},
		{"documented key that does not exist",
			strings.Replace(doc, row, "| `smtp.no_such_key` | `1` | made up |\n"+row, 1), full,
			"smtp.no_such_key: documented in docs/configuration.md but Config has no such key"},
		{"key missing from full.toml", doc, dropLine(full, fileLine),
			"smtp.max_recipients: decoded by Config but missing from full.toml"},
		{"key in full.toml that Config lacks", doc,
			strings.Replace(full, "[smtp]\n", "[smtp]\nno_such_key = 1\n", 1),
			"smtp.no_such_key: in full.toml but Config has no such key"},
		{"wrong default", strings.Replace(doc, row, "| `smtp.max_recipients` | `99` |", 1), full,
			"documented default `99` is 99, config.Default() has 100"},
		{"default that does not parse", strings.Replace(doc, row, "| `smtp.max_recipients` | `lots` |", 1), full,
			"documented default `lots` does not load"},
		{"default in words", strings.Replace(doc, row, "| `smtp.max_recipients` | a hundred |", 1), full,
			"default \"a hundred\" is not one TOML value in backticks"},
		{"key documented twice", strings.Replace(doc, row, row+" again |\n"+row, 1), full,
			"smtp.max_recipients: documented twice"},
		{"example that does not load", doc + "\n```toml\n[smtp]\nmax_recipients = 0\n```\n", full,
			"example at doc line"},
	}
	if got := docProblems(doc, full); len(got) != 0 {
		t.Fatalf("the real files already disagree: %q", got)
	}
	for _, tc := range tests {
		got := docProblems(tc.doc, tc.full)
		found := slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) })
		if !found {
			t.Errorf("%s: problems %q, want one containing %q", tc.name, got, tc.want)
		}
	}
}

// docRow is one key's row in docs/configuration.md: a table row whose
// first cell is the key's dotted name in backticks and whose second is its
// default.
type docRow struct {
	key, def string
	line     int
}

var tomlBlock = regexp.MustCompile("(?s)```toml\n(.*?)```")

// docProblems returns every disagreement between the reference doc, the
// canonical file full and the Config struct.
func docProblems(doc, full string) []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	leaves, tables := map[string]bool{}, map[string]bool{}
	structKeys(reflect.TypeOf(Config{}), "", leaves, tables)

	fileKeys, err := tomlKeys(full, leaves, tables)
	if err != nil {
		return []string{"full.toml: " + err.Error()}
	}
	for _, k := range sortedKeys(fileKeys) {
		if !fileKeys[k] {
			add("%s: in full.toml but Config has no such key", k)
		}
	}
	for _, k := range sortedKeys(leaves) {
		if _, ok := fileKeys[k]; !ok {
			add("%s: decoded by Config but missing from full.toml", k)
		}
	}

	rows := map[string]docRow{}
	for _, r := range docRows(doc) {
		if prev, dup := rows[r.key]; dup {
			add("%s: documented twice (doc lines %d and %d)", r.key, prev.line, r.line)
			continue
		}
		rows[r.key] = r
		if !leaves[r.key] {
			add("%s: documented in docs/configuration.md but Config has no such key", r.key)
			continue
		}
		if p := defaultProblem(r); p != "" {
			add("%s (doc line %d): %s", r.key, r.line, p)
		}
	}
	for _, k := range sortedKeys(fileKeys) {
		if _, ok := rows[k]; !ok && fileKeys[k] {
			add("%s: in full.toml but not documented in docs/configuration.md", k)
		}
	}

	return append(probs, exampleProblems("doc", doc)...)
}

// exampleProblems reports the TOML examples (```toml blocks) of the
// Markdown text md that do not load.
func exampleProblems(name, md string) []string {
	var probs []string
	for _, m := range tomlBlock.FindAllStringSubmatchIndex(md, -1) {
		line := strings.Count(md[:m[0]], "\n") + 1
		if _, errs := Parse(md[m[2]:m[3]]); errs != nil {
			probs = append(probs, fmt.Sprintf("example at %s line %d does not load: %v", name, line, errs))
		}
	}
	return probs
}

// structKeys adds to leaves the dotted name of every key the struct type t
// decodes, and to tables those of its sub-tables. A map is a leaf: its
// keys are the operator's (delivery.routes).
func structKeys(t reflect.Type, prefix string, leaves, tables map[string]bool) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		if f.Type.Kind() == reflect.Struct {
			tables[key] = true
			structKeys(f.Type, key+".", leaves, tables)
			continue
		}
		leaves[key] = true
	}
}

// tomlKeys returns the keys of the TOML document data at the depth of
// leaves: an entry under a map key counts as that key. The value is false
// for a key that is neither in leaves nor under one of tables.
func tomlKeys(data string, leaves, tables map[string]bool) (map[string]bool, error) {
	md, err := toml.Decode(data, new(map[string]any))
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, k := range md.Keys() {
		for i := 1; i <= len(k); i++ {
			name := strings.Join(k[:i], ".")
			if leaves[name] {
				keys[name] = true
				break
			}
			if !tables[name] {
				keys[k[:i].String()] = false
				break
			}
		}
	}
	return keys, nil
}

// docRows returns the key rows of the doc: table rows whose first cell
// starts with a backtick.
func docRows(doc string) []docRow {
	var rows []docRow
	for i, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			rows = append(rows, docRow{key: strings.TrimSpace(line), line: i + 1})
			continue
		}
		key := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows = append(rows, docRow{key: key, def: strings.TrimSpace(cells[2]), line: i + 1})
	}
	return rows
}

// defaultProblem checks the documented default of r against Default():
// the cell is one TOML value in backticks that, set as the key's value,
// loads to what Default() has.
func defaultProblem(r docRow) string {
	if proseDefaults[r.key] {
		return ""
	}
	v, ok := strings.CutPrefix(r.def, "`")
	if ok {
		v, ok = strings.CutSuffix(v, "`")
	}
	if !ok || v == "" || strings.Contains(v, "`") {
		return fmt.Sprintf("default %q is not one TOML value in backticks", r.def)
	}
	path := strings.Split(r.key, ".")
	file := path[len(path)-1] + " = " + v + "\n"
	if len(path) > 1 {
		file = "[" + strings.Join(path[:len(path)-1], ".") + "]\n" + file
	}
	c, errs := Parse(file)
	if errs != nil {
		return fmt.Sprintf("documented default %s does not load: %v", r.def, errs)
	}
	got, want := fieldAt(c, path), fieldAt(Default(), path)
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("documented default %s is %v, config.Default() has %v", r.def, got, want)
	}
	return ""
}

// fieldAt returns the value of the key path in c.
func fieldAt(c *Config, path []string) any {
	v := reflect.ValueOf(c).Elem()
	for _, name := range path {
		t := v.Type()
		i := slices.IndexFunc(slices.Collect(t.Fields()), func(f reflect.StructField) bool {
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			return tag == name
		})
		v = v.Field(i)
	}
	return v.Interface()
}
