//go:build !unix

package msgmeta

import "os"

// ParseFile computes the metadata of the message in f, of size octets.
// Here it reads the file into memory.
func ParseFile(f *os.File, _ int64) (*Meta, error) { return parseFileRead(f) }
