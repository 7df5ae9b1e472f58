package imapmsg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// testdata is msgmeta's corpus of messages, shared with its tests.
const testdata = "../msgmeta/testdata"

// load reads a message of the corpus and parses its metadata.
func load(t testing.TB, name string) ([]byte, *msgmeta.Meta) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw, msgmeta.ParseBytes(raw)
}

// corpus lists the corpus's message files.
func corpus(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(testdata, "*.eml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus in %s: %v", testdata, err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

// memBlob is a store.Blob over bytes that records being closed.
type memBlob struct {
	*bytes.Reader
	closed *int
}

func newBlob(raw []byte, closed *int) memBlob {
	return memBlob{Reader: bytes.NewReader(raw), closed: closed}
}

func (b memBlob) Close() error {
	if b.closed != nil {
		*b.closed++
	}
	return nil
}
