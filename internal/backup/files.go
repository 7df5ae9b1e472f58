package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File helpers: every file a backup or a restore writes goes to a
// temporary name in its directory, is fsynced, and is renamed into place,
// so that a file present under its name is complete (what makes an
// interrupted run resumable).

// tmpPrefix starts the names of files being written; a later run
// removes the ones an interrupted run left.
const tmpPrefix = ".tmp-"

// copyFile copies src to dst (a new file, mode perm) and returns the
// SHA-256 and size of what it copied. The directory of dst is not synced:
// the caller syncs it (syncDir), once for many files.
func copyFile(src, dst string, perm os.FileMode) (sum string, size int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	h := sha256.New()
	err = writeAtomic(dst, perm, func(w io.Writer) error {
		size, err = io.Copy(io.MultiWriter(w, h), in)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), size, err
}

// writeFileSync writes data to path through writeAtomic and syncs the
// directory.
func writeFileSync(path string, data []byte, perm os.FileMode) error {
	err := writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeAtomic writes a file through fill to a temporary name, fsyncs it
// and renames it to path.
func writeAtomic(path string, perm os.FileMode, fill func(io.Writer) error) error {
	dir, name := filepath.Split(path)
	tmp := filepath.Join(dir, tmpPrefix+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// syncDir fsyncs a directory, making the names created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// isTemp reports whether a file name is one of writeAtomic's temporary
// names.
func isTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }

// dirSyncer syncs each directory it was given once.
type dirSyncer map[string]bool

func (d dirSyncer) add(dir string) { d[dir] = true }

func (d dirSyncer) sync() error {
	for dir := range d {
		if err := syncDir(dir); err != nil {
			return err
		}
		delete(d, dir)
	}
	return nil
}
