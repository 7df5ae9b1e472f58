//go:build linux || darwin || freebsd || netbsd || openbsd

package sqlite

import (
	"os"
	"syscall"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// parseFile parses the metadata of a body file of size octets through a
// read-only memory map of it, so that a large body is never copied into
// the heap: the pages are the page cache's, shared with the file just
// written, and are let go when the map is (README "SMTP", Memory: the
// heap holds no large body). The Meta keeps no reference into the map
// (msgmeta copies every string it keeps).
func parseFile(f *os.File, size int64) (*msgmeta.Meta, error) {
	if size == 0 || size != int64(int(size)) {
		return parseRead(f)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return parseRead(f)
	}
	defer syscall.Munmap(data)
	return msgmeta.ParseBytes(data), nil
}
