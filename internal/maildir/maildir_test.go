package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseName(t *testing.T) {
	i := ParseName("1700000000.M1P2.host,S=1234,W=1260:2,FRSab")
	if i.Base != "1700000000.M1P2.host,S=1234,W=1260" || i.Flags != "FRS" || i.Keywords != "ab" || i.Size != 1234 {
		t.Fatalf("got %+v", i)
	}
	if i := ParseName("1700000000.M1P2.host"); i.Base != "1700000000.M1P2.host" || i.Flags != "" || i.Size != -1 {
		t.Fatalf("new/ name: got %+v", i)
	}
	if n := Name("b", "SF", "ca"); n != "b:2,FSac" {
		t.Fatalf("Name: %q", n)
	}
}

func TestUIDList(t *testing.T) {
	in := "3 V1700000001 N7 Gd2d1\n1 :a.host,S=3\n5 W120 :b.host:2,S\n6 G1234 W9 :c\n"
	l, err := ParseUIDList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if l.UIDValidity != 1700000001 || l.NextUID != 7 || l.UIDs["a.host,S=3"] != 1 || l.UIDs["b.host"] != 5 || l.UIDs["c"] != 6 {
		t.Fatalf("got %+v", l)
	}
	l, err = ParseUIDList(strings.NewReader("1 42 3\n1 x\n2 y\n"))
	if err != nil || l.UIDValidity != 42 || l.NextUID != 3 || l.UIDs["y"] != 2 {
		t.Fatalf("version 1: %v %+v", err, l)
	}
	for _, bad := range []string{"", "9 V1\n", "3 N5\n", "3 V1 N2\nx :a\n", "3 V1 N2\n1 a\n"} {
		if _, err := ParseUIDList(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestKeywords(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader("0 $Forwarded\n1 work\n30 far\nbad\n3 two words\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Of("ab"); !slices.Equal(got, []string{"$Forwarded", "work"}) {
		t.Fatalf("Of: %q", got)
	}
	if c, ok := k.Letter("WORK"); !ok || c != 'b' {
		t.Fatalf("Letter of a known keyword: %c %v", c, ok)
	}
	if c, ok := k.Letter("new"); !ok || c != 'c' {
		t.Fatalf("Letter of a new keyword: %c %v", c, ok)
	}
}

func TestFoldersAndWriter(t *testing.T) {
	root := t.TempDir()
	date := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	for _, name := range []string{"INBOX", "Archive/2023", "Entwürfe"} {
		w, err := NewWriter(root, name, 77, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Put(Message{UID: 2, Flags: "S", Keywords: []string{"work"}, InternalDate: date, VirtualSize: 4}, strings.NewReader("x\ny")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := Folders(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"INBOX", "Archive/2023", "Entwürfe"}) {
		t.Fatalf("folders %q", names)
	}
	if _, err := os.Stat(filepath.Join(root, ".Entw&APw-rfe", "cur")); err != nil {
		t.Fatalf("modified UTF-7 directory: %v", err)
	}
	es, err := entries(fs[1].Dir)
	if err != nil || len(es) != 1 || es[0].Info().Flags != "S" || es[0].Info().Keywords != "a" || es[0].ModTime != date.UnixNano() {
		t.Fatalf("entries %v %+v", err, es)
	}
	f, _ := os.Open(filepath.Join(fs[1].Dir, "dovecot-uidlist"))
	l, err := ParseUIDList(f)
	f.Close()
	if err != nil || l.UIDValidity != 77 || l.UIDs[es[0].Info().Base] != 2 {
		t.Fatalf("uidlist %v %+v", err, l)
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("1.M1P2.h,S=3:2,FSab")
	f.Fuzz(func(t *testing.T, name string) {
		i := ParseName(name)
		if !strings.HasPrefix(name, i.Base) {
			t.Fatalf("base %q not a prefix of %q", i.Base, name)
		}
	})
}

func FuzzUIDList(f *testing.F) {
	f.Add("3 V1 N2\n1 :a\n")
	f.Add("1 5 6\n5 b\n")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseUIDList(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, uid := range l.UIDs {
			if uid == 0 || uid >= l.NextUID {
				t.Fatalf("UID %d with next UID %d", uid, l.NextUID)
			}
		}
	})
}

func FuzzKeywords(f *testing.F) {
	f.Add("0 a\n1 b\n")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeywords(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, kw := range k {
			if strings.ContainsAny(kw, " \t\n") {
				t.Fatalf("keyword %q", kw)
			}
		}
	})
}
