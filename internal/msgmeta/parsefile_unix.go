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
	if size <= 0 || int64(int(size)) != size {
		return parseFileRead(f)
	}
	raw, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return parseFileRead(f)
	}
	defer syscall.Munmap(raw)
	return ParseBytes(raw), nil
}
