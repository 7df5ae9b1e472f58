package maildir

import (
	"strconv"
	"strings"
)

// Info is what a message's file name says.
type Info struct {
	// Base is the name without its ":2," info: the key of
	// dovecot-uidlist.
	Base string
	// Flags are the upper-case flag letters (D draft, F flagged, P passed,
	// R replied, S seen, T trashed), Keywords the lower-case ones (Dovecot:
	// indexes into dovecot-keywords, 'a' being 0), both as written.
	Flags, Keywords string
	// Size is Dovecot's ",S=" field (the file's size), -1 without one.
	Size int64
}

// ParseName parses a message file name of cur or new. A name without
// ":2," info has no flags (a file of new/).
func ParseName(name string) Info {
	info := Info{Base: name, Size: -1}
	// Dovecot writes ':' but allows another separator on file systems
	// without it; the info is after the last ":2,".
	if i := strings.LastIndex(name, ":2,"); i >= 0 {
		info.Base = name[:i]
		for _, c := range []byte(name[i+3:]) {
			switch {
			case c >= 'A' && c <= 'Z':
				info.Flags += string(c)
			case c >= 'a' && c <= 'z':
				info.Keywords += string(c)
			}
		}
	}
	for _, f := range strings.Split(info.Base, ",")[1:] {
		if v, ok := strings.CutPrefix(f, "S="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				info.Size = n
			}
		}
	}
	return info
}

// Name builds a file name of cur from a base and the flag letters: the
// info sorted, as Maildir wants it.
func Name(base, flags, keywords string) string {
	letters := []byte(flags + keywords)
	for i := 1; i < len(letters); i++ { // insertion sort: at most 52 letters
		for j := i; j > 0 && letters[j] < letters[j-1]; j-- {
			letters[j], letters[j-1] = letters[j-1], letters[j]
		}
	}
	return base + ":2," + string(letters)
}
