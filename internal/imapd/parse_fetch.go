package imapd

import (
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
)

func isNameChar(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '-'
}

// parseFetch reads FETCH sequence-set items [(modifiers)] (RFC 9051
// §6.4.5, RFC 7162 §3.1.4 CHANGEDSINCE and §3.2.6 VANISHED).
func parseFetch(_ *session, r *reader, c *command) error {
	if err := r.setArg(c); err != nil {
		return err
	}
	var err error
	f := &fetchArgs{}
	c.fetch = f
	if r.peek() == '(' {
		err = r.list(func() error { return f.item(r) })
	} else {
		err = f.item(r)
	}
	if err != nil {
		return err
	}
	if len(f.items) == 0 {
		return errSyntax("FETCH needs data items")
	}
	if r.peek() != ' ' {
		return nil
	}
	r.pos++
	return r.list(func() error {
		a := strings.ToUpper(r.atomWith(isNameChar))
		switch a {
		case "CHANGEDSINCE":
			if err := r.sp(); err != nil {
				return err
			}
			f.changedSince, err = r.number()
			if err == nil && f.changedSince == 0 {
				err = errSyntax("CHANGEDSINCE needs a non-zero mod-sequence")
			}
			return err
		case "VANISHED":
			f.vanished = true
			return nil
		}
		return errSyntax("Unknown FETCH modifier")
	})
}

// item reads one fetch-att, expanding the ALL, FAST and FULL macros.
func (f *fetchArgs) item(r *reader) error {
	name := strings.ToUpper(r.atomWith(isNameChar))
	switch name {
	case "ALL", "FAST", "FULL":
		for _, n := range []string{"FLAGS", "INTERNALDATE", "RFC822.SIZE"} {
			f.items = append(f.items, fetchItem{name: n})
		}
		if name != "FAST" {
			f.items = append(f.items, fetchItem{name: "ENVELOPE"})
		}
		if name == "FULL" {
			f.items = append(f.items, fetchItem{name: "BODY"})
		}
		return nil
	case "ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.TEXT",
		"RFC822.SIZE", "BODYSTRUCTURE", "UID", "MODSEQ":
		f.items = append(f.items, fetchItem{name: name})
		return nil
	case "BODY", "BODY.PEEK":
		if r.peek() != '[' {
			if name == "BODY.PEEK" {
				return errSyntax("BODY.PEEK needs a section")
			}
			f.items = append(f.items, fetchItem{name: "BODY"})
			return nil
		}
		it := fetchItem{name: "BODY[]", peek: name == "BODY.PEEK"}
		var err error
		if it.section, err = r.section(); err != nil {
			return err
		}
		f.items = append(f.items, it)
		return nil
	case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		it := fetchItem{name: "BINARY[]", peek: name == "BINARY.PEEK"}
		if name == "BINARY.SIZE" {
			it.name = "BINARY.SIZE"
		}
		part, err := r.binarySection()
		if err != nil {
			return err
		}
		it.section = imapmsg.Section{Part: part, Binary: true}
		if name != "BINARY.SIZE" && r.peek() == '<' {
			if it.section.Partial, err = r.partial(); err != nil {
				return err
			}
		}
		f.items = append(f.items, it)
		return nil
	}
	return errSyntax("Unknown FETCH data item")
}

// section reads "[" section-spec "]" ["<" offset "." count ">"].
func (r *reader) section() (imapmsg.Section, error) {
	var s imapmsg.Section
	if err := r.expect('['); err != nil {
		return s, err
	}
	part, err := r.partNumbers()
	if err != nil {
		return s, err
	}
	s.Part = part
	if r.peek() != ']' {
		if len(part) > 0 {
			if err := r.expect('.'); err != nil {
				return s, err
			}
		}
		spec := strings.ToUpper(r.atomWith(isNameChar))
		switch spec {
		case "HEADER", "TEXT":
		case "MIME":
			if len(part) == 0 {
				return s, errSyntax("MIME needs a part number")
			}
		case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
			if err := r.sp(); err != nil {
				return s, err
			}
			err := r.list(func() error {
				f, err := r.astring()
				s.Fields = append(s.Fields, f)
				return err
			})
			if err != nil {
				return s, err
			}
			if len(s.Fields) == 0 {
				return s, errSyntax("Empty header list")
			}
		default:
			return s, errSyntax("Unknown section")
		}
		s.Specifier = spec
	}
	if err := r.expect(']'); err != nil {
		return s, err
	}
	if r.peek() == '<' {
		s.Partial, err = r.partial()
	}
	return s, err
}

// partNumbers reads "1.2.3" up to a non-digit, leaving a trailing "."
// before a specifier unread.
func (r *reader) partNumbers() ([]int, error) {
	var part []int
	for r.peek() >= '1' && r.peek() <= '9' {
		n, err := r.nzNumber32()
		if err != nil {
			return nil, err
		}
		part = append(part, int(n))
		if r.peek() == '.' && r.pos+1 < len(r.line) && r.line[r.pos+1] >= '0' && r.line[r.pos+1] <= '9' {
			r.pos++
			continue
		}
		break
	}
	return part, nil
}

// binarySection reads "[" [part] "]" (RFC 3516 section-binary).
func (r *reader) binarySection() ([]int, error) {
	if err := r.expect('['); err != nil {
		return nil, err
	}
	part, err := r.partNumbers()
	if err != nil {
		return nil, err
	}
	return part, r.expect(']')
}

func (r *reader) partial() (*imapmsg.Partial, error) {
	r.pos++ // '<'
	off, err := r.number()
	if err != nil {
		return nil, err
	}
	if err := r.expect('.'); err != nil {
		return nil, err
	}
	n, err := r.number()
	if err != nil || n == 0 {
		return nil, errSyntax("Bad partial range")
	}
	return &imapmsg.Partial{Offset: int64(off), Count: int64(n)}, r.expect('>')
}

// parseStore reads STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT]
// flags (RFC 9051 §6.4.6, RFC 7162 §3.1.3).
func parseStore(_ *session, r *reader, c *command) error {
	if err := r.setArg(c); err != nil {
		return err
	}
	var err error
	st := &storeArgs{}
	c.store = st
	if r.peek() == '(' {
		err := r.list(func() error {
			a := r.atomWith(isNameChar)
			if !strings.EqualFold(a, "UNCHANGEDSINCE") {
				return errSyntax("Unknown STORE modifier")
			}
			if err := r.sp(); err != nil {
				return err
			}
			st.unchangedSince, err = r.number()
			st.hasUnchanged = true
			return err
		})
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	if r.peek() == '+' || r.peek() == '-' {
		st.op = string(r.peek())
		r.pos++
	}
	item := strings.ToUpper(r.atomWith(isNameChar))
	switch item {
	case "FLAGS":
	case "FLAGS.SILENT":
		st.silent = true
	default:
		return errSyntax("Expected FLAGS, +FLAGS or -FLAGS")
	}
	if err := r.sp(); err != nil {
		return err
	}
	st.flags, err = r.flagList(true)
	return err
}

// flagList reads "(" flags ")"; with bare, also flags separated by SP
// without parentheses.
func (r *reader) flagList(bare bool) ([]string, error) {
	flags := []string{}
	add := func() error {
		f, err := r.flag()
		if err == nil && f == `\*` {
			err = errSyntax(`\* is not a flag`)
		}
		flags = append(flags, f)
		return err
	}
	if r.peek() == '(' {
		return flags, r.list(add)
	}
	if !bare {
		return nil, errSyntax("Expected a flag list")
	}
	for {
		if err := add(); err != nil {
			return nil, err
		}
		if r.peek() != ' ' {
			return flags, nil
		}
		r.pos++
	}
}
