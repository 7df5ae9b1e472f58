package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// serveLockFile is the file in the data directory that a running `petrel
// serve` holds locked (README "Running several servers").
const serveLockFile = "serve.lock"

// errServing is the error of lockDataDir when a server holds the lock.
var errServing = errors.New("another petrel serve is already running")

// lockDataDir takes the data directory's serve lock, held until release is
// called or the process ends (the kernel drops a flock with its holder, so
// a crash leaves no stale lock). A second serve on the same data directory
// gets a clear error: with SQLite its IDLE notifications and POP3 mailbox
// locks would be separate from the first one's; with PostgreSQL, where
// several nodes share the database, each node needs a data directory of
// its own (its spool, emptied at start, and its control socket).
func lockDataDir(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	path := filepath.Join(dataDir, serveLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w on the data directory %s (it holds %s); "+
				"stop it first, or give this one another data_dir (every node its own)", errServing, dataDir, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
