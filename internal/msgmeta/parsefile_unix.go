//go:build unix

package msgmeta

import (
	"os"
	"syscall"
)

// ParseFile computes the metadata of the message in f, of size octets,
// without taking it into the heap: the file is mapped read-only for the
// parse and unmapped after it (Meta keeps copies, never slices of the
// message), so that a large message costs page cache the kernel can take
// back, not heap the process keeps. The file must not shrink meanwhile.
func ParseFile(f *os.File, size int64) (*Meta, error) {
	var m *Meta
	err := mapFile(f, 0, size, func(raw []byte) { m = ParseBytes(raw) })
	return m, err
}

// mapFile calls parse with the size octets of f from off, mapped
// read-only; it falls back to reading them when they cannot be mapped.
func mapFile(f *os.File, off, size int64, parse func(raw []byte)) error {
	end := off + size
	if size <= 0 || off < 0 || int64(int(end)) != end {
		return readSection(f, off, size, parse)
	}
	raw, err := syscall.Mmap(int(f.Fd()), 0, int(end), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readSection(f, off, size, parse)
	}
	defer syscall.Munmap(raw)
	parse(raw[off:])
	return nil
}
