package msgmeta

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestParseFile: the metadata of a file equals that of its bytes, for
// every sample message and for an empty file.
func TestParseFile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatal("no samples", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.eml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(files, empty) {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseFile(f, int64(len(raw)))
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := Marshal(m)
		want, _ := Marshal(ParseBytes(raw))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: ParseFile\n%s\nParseBytes\n%s", name, got, want)
		}
	}
}
