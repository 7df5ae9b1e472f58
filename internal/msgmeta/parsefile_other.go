//go:build !unix

package msgmeta

import "os"

// ParseFile computes the metadata of the message in f, of size octets.
// Here it reads the file into memory.
func ParseFile(f *os.File, size int64) (*Meta, error) {
	var m *Meta
	err := mapFile(f, 0, size, func(raw []byte) { m = ParseBytes(raw) })
	return m, err
}

// mapFile reads the size octets of f from off into memory for parse.
func mapFile(f *os.File, off, size int64, parse func(raw []byte)) error {
	return readSection(f, off, size, parse)
}
