package dkim

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// field is one header field: its name and its raw text (name, colon,
// value, continuation lines and line ends).
type field struct {
	name string
	raw  string
}

// value is the field's value unfolded: line ends removed, leading and
// trailing white space trimmed.
func (f field) value() string {
	_, v, _ := strings.Cut(f.raw, ":")
	v = strings.ReplaceAll(strings.ReplaceAll(v, "\r", ""), "\n", "")
	return strings.TrimSpace(v)
}

// readHeader reads the header section of a message (RFC 5322 §2.2) from
// br, up to and including the empty line that ends it, and splits it into
// fields the way go-msgauth does (a line starting with white space
// continues the previous field; the name is the text before the colon,
// trimmed). A header that ends at the end of the input gets the missing
// line end and empty line added, as a message without a body has neither.
// The error is a read error other than io.EOF.
func readHeader(br *bufio.Reader) ([]byte, []field, error) {
	var raw []byte
	var fields []field
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Copy before reading on: ReadSlice's result is the buffer.
			start := bytes.Clone(line)
			var more []byte
			more, err = br.ReadBytes('\n')
			line = append(start, more...)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		if len(line) > 0 && line[len(line)-1] != '\n' {
			line = append(bytes.Clone(line), '\r', '\n')
		}
		if len(line) == 0 || isEmptyLine(line) {
			return append(raw, "\r\n"...), fields, nil
		}
		raw = append(raw, line...)
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].raw += string(line)
		} else {
			name, _, _ := strings.Cut(string(line), ":")
			fields = append(fields, field{name: strings.TrimSpace(name), raw: string(line)})
		}
		if err != nil { // io.EOF after the last line
			return append(raw, "\r\n"...), fields, nil
		}
	}
}

func isEmptyLine(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}

// fromDomains returns the domains of the addresses of the first From field
// (RFC 5322 §3.6.2), canonical and without repeats, in order. Encoded
// words in unknown charsets are kept as they are, so that a display name
// never hides the address.
func fromDomains(fields []field) []string {
	var from string
	for _, f := range fields {
		if strings.EqualFold(f.name, "From") {
			from = f.value()
			break
		}
	}
	if from == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	addrs, err := p.ParseList(from)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		at := strings.LastIndexByte(a.Address, '@')
		if at < 0 {
			continue
		}
		d, err := mailaddr.CanonicalDomain(a.Address[at+1:])
		if err == nil && !contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tags splits a tag-list (RFC 6376 §3.2) into its tags, with white space
// removed from names and values; the first of repeated tags wins. It is
// lenient: it only reads what a result reports (d=, s=, a=, i=, b=), and
// go-msgauth's stricter parser decides what is valid.
func tags(value string) map[string]string {
	m := map[string]string{}
	for spec := range strings.SplitSeq(value, ";") {
		name, v, ok := strings.Cut(spec, "=")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if _, dup := m[name]; !dup {
			m[name] = stripSpace(v)
		}
	}
	return m
}

// stripSpace removes folding white space (RFC 6376 §3.2 allows it inside
// values such as b= and bh=).
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
