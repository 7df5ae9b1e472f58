package dkim

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/petrelmail/petrel/internal/spool"
)

// ensureDir creates dir and any missing parents with mode 0700, and makes
// each new entry durable by fsyncing the directory that holds it.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := ensureDir(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil
		}
		return err
	}
	return spool.SyncDir(parent)
}

// writeNew writes data to a new file at path, mode 0600, durably: a
// temporary file in the same directory is written and fsynced, then
// hard-linked to path, which fails if path exists (so that two writers
// never replace each other's key), and the directory is fsynced.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := spool.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return ErrExists
		}
		return err
	}
	if err := os.Remove(tmp); err != nil {
		return err
	}
	return spool.SyncDir(dir)
}
