package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// entries lists a folder in Ordered's order without a uidlist.
func entries(dir string) ([]Entry, error) {
	var out []Entry
	err := Ordered(dir, nil, 0, "", func(e Entry, _ uint32) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// writeFolder makes a folder whose files (sub/name) have the
// modification times t0 + i seconds, i their index in files.
func writeFolder(t *testing.T, files []string) (string, time.Time) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Unix(1_700_000_000, 0)
	for i, f := range files {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, t0, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, t0
}

type placed struct {
	name string
	uid  uint32
}

func ordered(t *testing.T, dir, uidlist string, next uint32) []placed {
	t.Helper()
	var r *strings.Reader
	var out []placed
	fn := func(e Entry, uid uint32) error {
		out = append(out, placed{e.Name, uid})
		return nil
	}
	var err error
	if uidlist == "" {
		err = Ordered(dir, nil, next, t.TempDir(), fn)
	} else {
		r = strings.NewReader(uidlist)
		err = Ordered(dir, r, next, t.TempDir(), fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOrdered: without a uidlist the files come by modification time
// (then name), new/ and cur/ together, hidden files left out; with one,
// the listed files by UID (the last line of a name twice wins), then the
// others by modification time with the next UIDs; a listed name without
// a file is skipped.
func TestOrdered(t *testing.T) {
	files := []string{"cur/c:2,S", "new/b", "cur/a:2,", "cur/e,S=5:2,RS", "new/.hidden", "cur/d:2,F"}
	dir, t0 := writeFolder(t, files)
	got := ordered(t, dir, "", 0)
	want := []placed{{"c:2,S", 0}, {"b", 0}, {"a:2,", 0}, {"e,S=5:2,RS", 0}, {"d:2,F", 0}}
	if !slices.Equal(got, want) {
		t.Fatalf("without uidlist: %v, want %v", got, want)
	}
	// Same time: by name.
	if err := os.Chtimes(filepath.Join(dir, "cur/a:2,"), t0, t0); err != nil {
		t.Fatal(err)
	}
	if got := ordered(t, dir, "", 0); got[0].name != "a:2," || got[1].name != "c:2,S" {
		t.Fatalf("equal times: %v, want a before c", got)
	}
	list := "3 V9 N20\n7 :e,S=5\n3 :d\n5 :gone\n4 :a\n8 :d\n"
	got = ordered(t, dir, list, 20)
	want = []placed{{"a:2,", 4}, {"e,S=5:2,RS", 7}, {"d:2,F", 8}, {"c:2,S", 20}, {"b", 21}}
	if !slices.Equal(got, want) {
		t.Fatalf("with uidlist: %v, want %v", got, want)
	}
	// Entry fields survive the sort.
	es, err := entries(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Name == "b" && (!e.New || e.Size != 2 || e.ModTime != t0.Add(time.Second).UnixNano()) {
			t.Fatalf("entry %+v", e)
		}
	}
}

// TestOrderedMany: a folder of 3,000 files with a uidlist naming every
// other one, in reverse, comes in UID order, the unlisted files after
// the uidlist's next UID.
func TestOrderedMany(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 3,000 files")
	}
	const n = 3000
	var files []string
	var list strings.Builder
	list.WriteString("3 V1 N1\n")
	for i := range n {
		name := fmt.Sprintf("%06d.M%dP1.host,S=%d", i, i, i+1)
		files = append(files, "cur/"+name+":2,S")
		if i%2 == 0 {
			fmt.Fprintf(&list, "%d :%s\n", n-i, name)
		}
	}
	dir, _ := writeFolder(t, files)
	got := ordered(t, dir, list.String(), 0)
	if len(got) != n {
		t.Fatalf("%d files, want %d", len(got), n)
	}
	for i, p := range got {
		if i > 0 && p.uid <= got[i-1].uid {
			t.Fatalf("UID %d after %d", p.uid, got[i-1].uid)
		}
	}
	if got[n/2].uid != n+1 || got[n/2].name != "000001.M1P1.host,S=2:2,S" {
		t.Fatalf("first unlisted file: %+v", got[n/2])
	}
}
