package msgmeta

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that every part lies within
// the input and within its parent, that the structure invariants hold and
// that the metadata survives Marshal and Unmarshal.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := ParseBytes(raw)
		if err := checkTree(raw, m); err != nil {
			t.Fatal(err)
		}
		if err := checkRoundTrip(m); err != nil {
			t.Fatal(err)
		}
	})
}
