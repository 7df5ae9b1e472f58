package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// UIDList is a dovecot-uidlist: the folder's UIDVALIDITY, its next UID and
// the UID of each file, by base name (Info.Base).
type UIDList struct {
	UIDValidity uint32
	NextUID     uint32
	UIDs        map[string]uint32
}

// maxUIDLine bounds one line of dovecot-uidlist (a base name and a few
// extension fields).
const maxUIDLine = 64 << 10

// ParseUIDList reads a dovecot-uidlist whole (ScanUIDList), each file's
// UID in UIDList.UIDs: for small folders and tests; an import streams
// it (Ordered).
func ParseUIDList(r io.Reader) (*UIDList, error) {
	uids := map[string]uint32{}
	l, err := ScanUIDList(r, func(uid uint32, name string) error {
		uids[name] = uid
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.UIDs = uids
	return l, nil
}

// ScanUIDList reads a dovecot-uidlist of version 1 ("1 UIDVALIDITY
// NEXTUID" header, "UID NAME" lines) or 3 ("3 V<uidvalidity> N<nextuid>
// ..." header, "UID [EXT...] :NAME" lines), calling fn (when not nil)
// with each record's UID and base name in the file's order, and returns
// the header with NextUID above every UID listed (UIDs nil). Lines it
// cannot read are an error: a wrong UID would show clients another
// message under a UID they know.
func ScanUIDList(r io.Reader, fn func(uid uint32, name string) error) (*UIDList, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxUIDLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("dovecot-uidlist: empty")
	}
	l := &UIDList{}
	version, err := l.header(sc.Text())
	if err != nil {
		return nil, err
	}
	for n := 2; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		uid, name, err := uidLine(version, line)
		if err != nil {
			return nil, fmt.Errorf("dovecot-uidlist line %d: %w", n, err)
		}
		if fn != nil {
			if err := fn(uid, name); err != nil {
				return nil, err
			}
		}
		if uid >= l.NextUID {
			l.NextUID = uid + 1
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dovecot-uidlist: %w", err)
	}
	return l, nil
}

func (l *UIDList) header(line string) (version int, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0, fmt.Errorf("dovecot-uidlist: empty header")
	}
	switch f[0] {
	case "1":
		if len(f) < 3 {
			return 0, fmt.Errorf("dovecot-uidlist: short version 1 header")
		}
		v, err1 := parseUID(f[1])
		n, err2 := parseUID(f[2])
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("dovecot-uidlist: bad version 1 header")
		}
		l.UIDValidity, l.NextUID = v, n
		return 1, nil
	case "2", "3":
		for _, x := range f[1:] {
			switch x[0] {
			case 'V':
				l.UIDValidity, err = parseUID(x[1:])
			case 'N':
				l.NextUID, err = parseUID(x[1:])
			}
			if err != nil {
				return 0, fmt.Errorf("dovecot-uidlist: bad header field %q", x)
			}
		}
		if l.UIDValidity == 0 {
			return 0, fmt.Errorf("dovecot-uidlist: no UIDVALIDITY")
		}
		return 3, nil
	}
	return 0, fmt.Errorf("dovecot-uidlist: unknown version %q", f[0])
}

// uidLine parses one record: the name follows the first " :" in version
// 3 (extension fields come between), the first space in version 1.
func uidLine(version int, line string) (uint32, string, error) {
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return 0, "", fmt.Errorf("no file name")
	}
	uid, err := parseUID(line[:sp])
	if err != nil {
		return 0, "", err
	}
	name := line[sp+1:]
	if version == 3 {
		i := strings.Index(line[sp:], " :")
		if i < 0 {
			return 0, "", fmt.Errorf("no file name")
		}
		name = line[sp+i+2:]
	}
	// A name kept with its info (old Dovecot) is keyed without it.
	name = ParseName(name).Base
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return 0, "", fmt.Errorf("bad file name")
	}
	return uid, name, nil
}

func parseUID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad UID %q", s)
	}
	return uint32(n), nil
}

// WriteUIDList writes a version 3 dovecot-uidlist header.
func WriteUIDListHeader(w io.Writer, uidValidity, nextUID uint32) error {
	_, err := fmt.Fprintf(w, "3 V%d N%d\n", uidValidity, nextUID)
	return err
}

// WriteUIDLine writes one version 3 record.
func WriteUIDLine(w io.Writer, uid uint32, base string) error {
	_, err := fmt.Fprintf(w, "%d :%s\n", uid, base)
	return err
}
