package imapd

import (
	"io"
	"strconv"
	"strings"
)

// METADATA (RFC 5464): GETMETADATA and SETMETADATA of server and mailbox
// entries. This file parses the commands; metadata_cmd.go answers them
// and metadata_store.go keeps the entries in the store's KV.

// Entry-name rules (RFC 5464 §3.2): "/private/" or "/shared/" and more,
// no "*" or "%", no "//", no trailing "/", printable ASCII.
const (
	privatePrefix = "/private"
	sharedPrefix  = "/shared"
	// maxEntryName bounds an entry name, in octets.
	maxEntryName = 512
)

// depth is GETMETADATA's DEPTH option (RFC 5464 §4.2.2).
type depth int

const (
	depth0 depth = iota
	depth1
	depthInfinity
)

// getMetadataArgs are GETMETADATA's options, mailbox and entries (RFC
// 5464 §4.2).
type getMetadataArgs struct {
	maxSize  int64 // -1: none
	depth    depth
	mailbox  string
	entries  []string
	hasDepth bool
}

// parseGetMetadata reads GETMETADATA [SP (options)] SP mailbox SP entries
// (RFC 5464 §5: getmetadata).
func parseGetMetadata(_ *session, r *reader, _ *command, a *getMetadataArgs) error {
	a.maxSize = -1
	if err := r.sp(); err != nil {
		return err
	}
	if r.optionsNext() {
		if err := r.list(a.option(r)); err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	var err error
	if a.mailbox, err = r.astring(); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	if r.optionsNext() {
		// Options after the mailbox, as RFC 5464's examples in §4.2.2
		// write them and clients (go-imap) send them.
		if err := r.list(a.option(r)); err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	if r.peek() != '(' {
		e, err := r.entryName()
		a.entries = append(a.entries, e)
		return err
	}
	err = r.list(func() error {
		e, err := r.entryName()
		a.entries = append(a.entries, e)
		return err
	})
	if err == nil && len(a.entries) == 0 {
		err = errSyntax("GETMETADATA needs an entry")
	}
	return err
}

// optionsNext reports whether a list of GETMETADATA options comes next,
// not the list of entries (which start with "/" or a quote).
func (r *reader) optionsNext() bool {
	return r.peek() == '(' && r.pos+1 < len(r.line) && (r.line[r.pos+1]|0x20) >= 'a' && (r.line[r.pos+1]|0x20) <= 'z'
}

// option reads one getmetadata-option: MAXSIZE number or DEPTH (0 / 1 /
// infinity).
func (a *getMetadataArgs) option(r *reader) func() error {
	return func() error {
		name := strings.ToUpper(r.atomWith(isNameChar))
		if err := r.sp(); err != nil {
			return err
		}
		switch name {
		case "MAXSIZE":
			n, err := r.number()
			a.maxSize = int64(n)
			return err
		case "DEPTH":
			if a.hasDepth {
				return errSyntax("DEPTH given twice")
			}
			a.hasDepth = true
			switch strings.ToLower(r.atomWith(isNameChar)) {
			case "0":
				a.depth = depth0
			case "1":
				a.depth = depth1
			case "infinity":
				a.depth = depthInfinity
			default:
				return errSyntax("DEPTH is 0, 1 or infinity")
			}
			return nil
		}
		return errSyntax("Unknown GETMETADATA option")
	}
}

// entryValue is one entry of SETMETADATA; a nil value removes the entry.
type entryValue struct {
	name  string
	value []byte
}

// setMetadataArgs are SETMETADATA's mailbox and entries (RFC 5464 §4.3).
type setMetadataArgs struct {
	mailbox string
	entries []entryValue
}

// parseSetMetadata reads SETMETADATA SP mailbox SP "(" entry SP value
// *(SP entry SP value) ")", value = nstring / literal8 (RFC 5464 §5).
func parseSetMetadata(_ *session, r *reader, _ *command, a *setMetadataArgs) error {
	if err := r.mailboxArg(&a.mailbox); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	err := r.list(func() error {
		name, err := r.entryName()
		if err != nil {
			return err
		}
		if !strings.Contains(name[1:], "/") {
			return errSyntax("Entries are set below /private or /shared")
		}
		if err := r.sp(); err != nil {
			return err
		}
		v, err := r.metadataValue()
		a.entries = append(a.entries, entryValue{name: name, value: v})
		return err
	})
	if err == nil && len(a.entries) == 0 {
		err = errSyntax("SETMETADATA needs an entry")
	}
	return err
}

// entryName reads an entry (an astring) and checks it (RFC 5464 §3.2).
func (r *reader) entryName() (string, error) {
	e, err := r.astring()
	if err != nil {
		return "", err
	}
	if !validEntry(e) {
		return "", errSyntax("Invalid entry name")
	}
	return e, nil
}

// validEntry applies RFC 5464 §3.2 to an entry name: /private, /shared
// or below them, no "*", "%" or "//", no trailing "/", printable ASCII.
func validEntry(e string) bool {
	if len(e) > maxEntryName || strings.HasSuffix(e, "/") || strings.Contains(e, "//") {
		return false
	}
	lower := strings.ToLower(e)
	if lower != privatePrefix && lower != sharedPrefix &&
		!strings.HasPrefix(lower, privatePrefix+"/") && !strings.HasPrefix(lower, sharedPrefix+"/") {
		return false
	}
	for i := 0; i < len(e); i++ {
		if c := e[i]; c <= 0x20 || c >= 0x7f || c == '*' || c == '%' {
			return false
		}
	}
	return true
}

// metadataValue reads a value: NIL (nil), a string or a literal8 (RFC
// 5464 §5 value; RFC 3516 literal8).
func (r *reader) metadataValue() ([]byte, error) {
	switch r.peek() {
	case '"':
		s, err := r.quoted()
		return []byte(s), err
	case '{', '~':
		n, _, err := r.startLiteral(r.litLeft, true)
		if err != nil {
			return nil, err
		}
		r.litLeft -= n
		b := make([]byte, n)
		if _, err := io.ReadFull(r.br, b); err != nil {
			return nil, err
		}
		return b, r.readLine()
	}
	if a := r.atomWith(isNameChar); isNIL(a) {
		return nil, nil
	}
	return nil, errSyntax("Expected NIL, a string or a literal")
}

// itoa64s formats a size for a response code.
func itoa64s(n int64) string { return strconv.FormatInt(n, 10) }
