package spool

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// SyncDir fsyncs the directory dir, making the creation, removal or
// renaming of its entries durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// CreateTemp creates a new file in dir, mode 0600, named from pattern as
// os.CreateTemp does, creating dir (mode 0700) if it is missing.
func CreateTemp(dir, pattern string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, pattern)
}

// CopySync copies src to dst and fsyncs dst. It returns the bytes copied.
func CopySync(dst *os.File, src io.Reader) (int64, error) {
	n, err := io.Copy(dst, src)
	if err != nil {
		return n, err
	}
	return n, dst.Sync()
}

// WriteFileAtomic replaces the file at path with data durably: it writes a
// temporary file in the same directory, fsyncs it, renames it to path and
// fsyncs the directory. Readers see the old contents or the new, never a
// mix, and after a crash the file holds one or the other.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = writeSyncClose(f, data, perm)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return errors.Join(err, removeIfExists(tmp))
	}
	return SyncDir(dir)
}

func writeSyncClose(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
