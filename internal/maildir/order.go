package maildir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/petrelmail/petrel/internal/extsort"
)

// dirChunk is how many directory entries are read at once: a folder of
// millions of files is listed without holding the list.
const dirChunk = 1024

// SortBudget is the memory each of Ordered's sorts holds before it
// writes sorted runs to temporary files (extsort).
const SortBudget = 8 << 20

// readNames calls fn with the names in dir, a chunk at a time, in the
// directory's order; a missing dir has none.
func readNames(dir string, fn func(names []string) error) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(dirChunk)
		if len(names) > 0 {
			if err := fn(names); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Count returns how many message files a folder's new/ and cur/ hold
// (names only: no file is opened).
func Count(dir string) (int64, error) {
	var n int64
	for _, sub := range []string{"new", "cur"} {
		err := readNames(filepath.Join(dir, sub), func(names []string) error {
			for _, name := range names {
				if !strings.HasPrefix(name, ".") {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// scan calls fn for each message file (regular, not hidden) of the
// folder's new/ and cur/, in the directories' order.
func scan(dir string, fn func(Entry) error) error {
	for _, sub := range []string{"new", "cur"} {
		subdir := filepath.Join(dir, sub)
		err := readNames(subdir, func(names []string) error {
			for _, name := range names {
				if strings.HasPrefix(name, ".") {
					continue
				}
				fi, err := os.Lstat(filepath.Join(subdir, name))
				if errors.Is(err, fs.ErrNotExist) {
					continue // moved by a running Dovecot: its new name is listed too
				}
				if err != nil {
					return err
				}
				if !fi.Mode().IsRegular() {
					continue
				}
				e := Entry{Name: name, New: sub == "new", ModTime: fi.ModTime().UnixNano(), Size: fi.Size()}
				if err := fn(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Ordered calls fn for every message file of the folder dir with the UID
// it takes. Without a dovecot-uidlist (uidlist nil) the files come in the
// order of delivery (modification time, then name) with UID 0; with one,
// the files it lists in UID order with their UIDs, then the others in the
// order of delivery with next, next+1, ... (what Dovecot would give
// them; next is raised to the uidlist's own). The listing is sorted by extsort under tmp (os.TempDir when
// empty), so memory does not grow with the folder (README "Migrating to
// Petrel"). A file the uidlist names twice takes its last line's UID.
func Ordered(dir string, uidlist io.Reader, next uint32, tmp string, fn func(e Entry, uid uint32) error) error {
	final := extsort.New(tmp, SortBudget)
	defer final.Close()
	var rec []byte
	if uidlist == nil {
		if err := scan(dir, func(e Entry) error {
			rec = orderRec(rec[:0], e, 0)
			return final.Add(rec)
		}); err != nil {
			return err
		}
	} else {
		top, err := joinUIDs(dir, uidlist, tmp, final)
		if err != nil {
			return err
		}
		next = max(next, top)
	}
	return final.Sort(func(rec []byte) error {
		e, uid := parseOrderRec(rec)
		if uid == 0 && uidlist != nil {
			uid, next = next, next+1
		}
		return fn(e, uid)
	})
}

// joinUIDs gives every file of dir its UID in uidlist (0 when it lists
// none) by sorting both by base name, and adds them to final. It returns
// the uidlist's next UID (above every UID it lists).
func joinUIDs(dir string, uidlist io.Reader, tmp string, final *extsort.Sorter) (uint32, error) {
	byBase := extsort.New(tmp, SortBudget)
	defer byBase.Close()
	var rec []byte
	line := uint32(0)
	l, err := ScanUIDList(uidlist, func(uid uint32, base string) error {
		line++
		rec = append(append(rec[:0], base...), 0, 0)
		rec = binary.BigEndian.AppendUint32(rec, line)
		rec = binary.BigEndian.AppendUint32(rec, uid)
		return byBase.Add(rec)
	})
	if err != nil {
		return 0, err
	}
	if err := scan(dir, func(e Entry) error {
		rec = append(append(rec[:0], e.Info().Base...), 0, 1)
		rec = orderRec(rec, e, 0)
		return byBase.Add(rec)
	}); err != nil {
		return 0, err
	}
	var base []byte // the base of the last record, and its UID
	var uid uint32
	var out []byte
	return l.NextUID, byBase.Sort(func(rec []byte) error {
		i := bytes.IndexByte(rec, 0) // records are base, NUL, tag, ...
		b, tag, rest := rec[:i], rec[i+1], rec[i+2:]
		if string(b) != string(base) {
			base, uid = append(base[:0], b...), 0
		}
		if tag == 0 { // a uidlist line; a later line of the same base comes after
			uid = binary.BigEndian.Uint32(rest[4:])
			return nil
		}
		e, _ := parseOrderRec(rest)
		out = orderRec(out[:0], e, uid)
		return final.Add(out)
	})
}

// orderRec appends the record of e whose bytes sort in Ordered's order:
// files with a UID (class 0) by UID, the others (class 1) by
// modification time, then name; e's other fields follow the name's NUL.
func orderRec(b []byte, e Entry, uid uint32) []byte {
	if uid != 0 {
		b = append(b, 0)
		b = binary.BigEndian.AppendUint32(b, uid)
	} else {
		b = append(b, 1)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(e.ModTime)^1<<63) // signed order as unsigned
	b = append(append(b, e.Name...), 0)
	if e.New {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(e.Size))
}

func parseOrderRec(b []byte) (Entry, uint32) {
	var uid uint32
	if b[0] == 0 {
		uid, b = binary.BigEndian.Uint32(b[1:]), b[5:]
	} else {
		b = b[1:]
	}
	e := Entry{ModTime: int64(binary.BigEndian.Uint64(b) ^ 1<<63)}
	b = b[8:]
	n := bytes.IndexByte(b, 0)
	e.Name, b = string(b[:n]), b[n+1:]
	e.New = b[0] == 1
	e.Size = int64(binary.BigEndian.Uint64(b[1:]))
	return e, uid
}
