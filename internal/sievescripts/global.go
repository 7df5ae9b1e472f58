package sievescripts

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/petrelmail/petrel/internal/sieve"
)

// CompileFile compiles the operator's script at path (config sieve.before,
// sieve.after); the error names the file, and the line and column when
// the script is wrong.
func CompileFile(path string, lim sieve.Limits) (*sieve.Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := sieve.Compile(src, lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Dir is the directory of the scripts include :global names (RFC 6609
// §3.2; config sieve.global_dir): NAME.sieve, compiled once per source.
type Dir struct {
	path  string
	cache *sieve.Cache
}

// NewDir serves the global scripts in path.
func NewDir(path string, lim sieve.Limits) *Dir {
	return &Dir{path: path, cache: sieve.NewCache(lim, 64)}
}

// Include loads and compiles the global script name.
func (d *Dir) Include(name string) (*sieve.Script, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	src, err := os.ReadFile(filepath.Join(d.path, name+".sieve"))
	if err != nil {
		return nil, err
	}
	return d.cache.Get(src)
}
