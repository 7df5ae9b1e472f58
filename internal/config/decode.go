package config

import (
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// The toml package stops at the first type error and accepts any value for
// a table; decoding key by key through Primitive values lets Parse report
// every problem with its key.

// decodeTable decodes each key of table into the field of the struct rv
// whose toml tag names it, and reports keys that name no field.
func decodeTable(md *toml.MetaData, table map[string]toml.Primitive, rv reflect.Value, path toml.Key) []error {
	var errs []error
	known := map[string]bool{}
	t := rv.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		known[name] = true
		if prim, ok := table[name]; ok {
			errs = append(errs, decodeValue(md, prim, rv.Field(i), child(path, name))...)
		}
	}
	for _, name := range sortedKeys(table) {
		if !known[name] {
			key := child(path, name)
			errs = append(errs, &Error{Key: key.String(), Line: keyLine(md, table[name]), Msg: "unknown key"})
		}
	}
	return errs
}

// decodeValue decodes prim into v. A value that fails to decode leaves v
// as it was (its default), so that Validate does not report it again.
func decodeValue(md *toml.MetaData, prim toml.Primitive, v reflect.Value, path toml.Key) []error {
	switch v.Kind() {
	case reflect.Struct, reflect.Map:
		table, err := tableOf(md, prim, path)
		if err != nil {
			return []error{err}
		}
		if v.Kind() == reflect.Struct {
			return decodeTable(md, table, v, path)
		}
		return decodeMap(md, table, v, path)
	}
	fresh := reflect.New(v.Type())
	if err := md.PrimitiveDecode(prim, fresh.Interface()); err != nil {
		return []error{typeError(md, path, v.Type(), err)}
	}
	v.Set(fresh.Elem())
	return nil
}

// decodeMap replaces the map v with the entries of table.
func decodeMap(md *toml.MetaData, table map[string]toml.Primitive, v reflect.Value, path toml.Key) []error {
	var errs []error
	m := reflect.MakeMap(v.Type())
	for _, name := range sortedKeys(table) {
		elem := reflect.New(v.Type().Elem()).Elem()
		if e := decodeValue(md, table[name], elem, child(path, name)); e != nil {
			errs = append(errs, e...)
			continue
		}
		m.SetMapIndex(reflect.ValueOf(name), elem)
	}
	v.Set(m)
	return errs
}

// tableOf returns the keys of the table prim, or an error if prim is not a
// table.
func tableOf(md *toml.MetaData, prim toml.Primitive, path toml.Key) (map[string]toml.Primitive, error) {
	var raw any
	if err := md.PrimitiveDecode(prim, &raw); err != nil {
		return nil, decodeError(path.String(), err)
	}
	if _, ok := raw.(map[string]any); !ok {
		msg := "want a table; found " + tomlType(md.Type(path...))
		return nil, &Error{Key: path.String(), Line: keyLine(md, prim), Msg: msg}
	}
	var table map[string]toml.Primitive
	if err := md.PrimitiveDecode(prim, &table); err != nil {
		return nil, decodeError(path.String(), err)
	}
	return table, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// child is the key of name in the table at path.
func child(path toml.Key, name string) toml.Key {
	return append(slices.Clip(path), name)
}
