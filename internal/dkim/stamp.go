package dkim

import (
	"os"
	"path/filepath"
	"slices"
	"time"
)

// dirEntry is what a Signer compares to notice changed keys: a path
// under the key directory with its modification time and size.
type dirEntry struct {
	path  string
	mtime time.Time
	size  int64
}

// readStamp lists the key directory, its domain directories and their
// files. Adding or removing a key changes a directory's modification
// time; replacing a file in place changes the file's.
func readStamp(dir string) []dirEntry {
	var out []dirEntry
	add := func(path string) bool {
		fi, err := os.Stat(path)
		if err != nil {
			return false
		}
		out = append(out, dirEntry{path, fi.ModTime(), fi.Size()})
		return fi.IsDir()
	}
	if !add(dir) {
		return out
	}
	domains, _ := os.ReadDir(dir)
	for _, d := range domains {
		ddir := filepath.Join(dir, d.Name())
		if !add(ddir) {
			continue
		}
		files, _ := os.ReadDir(ddir)
		for _, f := range files {
			add(filepath.Join(ddir, f.Name()))
		}
	}
	return out
}

func equalStamps(a, b []dirEntry) bool {
	return slices.EqualFunc(a, b, func(x, y dirEntry) bool {
		return x.path == y.path && x.mtime.Equal(y.mtime) && x.size == y.size
	})
}
