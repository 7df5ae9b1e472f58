//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package sqlite

import (
	"os"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// parseFile parses the metadata of a body file by reading it.
func parseFile(f *os.File, _ int64) (*msgmeta.Meta, error) { return parseRead(f) }
