package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := WriteFileAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Fatalf("content = %q, %v; want two", got, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, %v; want 0640", st.Mode(), err)
	}
	assertOnly(t, dir, "state")
}

func TestWriteFileAtomicRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteFileAtomic("rel", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "rel")); err != nil || string(got) != "x" {
		t.Fatalf("content = %q, %v", got, err)
	}
}

func TestWriteFileAtomicFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "taken")
	// A non-empty directory cannot be replaced by a file.
	if err := os.MkdirAll(filepath.Join(target, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(target, []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFileAtomic over a directory succeeded")
	}
	assertOnly(t, dir, "taken")
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Fatal("WriteFileAtomic into a missing directory succeeded")
	}
}

// assertOnly checks that dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir: %v", err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "nope")); !os.IsNotExist(err) {
		t.Errorf("SyncDir(missing) = %v, want not-exist", err)
	}
}

func TestCreateTempAndCopySync(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool", "incoming")
	f, err := CreateTemp(dir, "msg-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(filepath.Base(f.Name()), "msg-") || filepath.Dir(f.Name()) != dir {
		t.Errorf("temp file %q not in %s with prefix msg-", f.Name(), dir)
	}
	st, err := f.Stat()
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", st.Mode(), err)
	}
	n, err := CopySync(f, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"))
	if err != nil || n != 21 {
		t.Fatalf("CopySync = %d, %v", n, err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || string(got) != "Subject: hi\r\n\r\nbody\r\n" {
		t.Errorf("content = %q, %v", got, err)
	}
}

func TestCopySyncPropagatesReadError(t *testing.T) {
	f, err := CreateTemp(t.TempDir(), "x-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := CopySync(f, LimitReader(strings.NewReader("0123456789"), 4))
	if !errors.Is(err, ErrTooLarge) || n != 4 {
		t.Errorf("CopySync = %d, %v; want 4, ErrTooLarge", n, err)
	}
}
