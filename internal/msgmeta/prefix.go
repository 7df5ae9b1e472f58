package msgmeta

import (
	"bytes"
	"io"
	"os"
	"slices"

	hdr "github.com/petrelmail/petrel/internal/header"
)

// ParsePrefixed computes the metadata of the message prefix+raw without
// joining the two: prefix holds whole header fields that a server puts on
// top of a message it received (Return-Path, Received, DKIM-Signature,
// Authentication-Results: RFC 5321 §4.4), raw the message as the client
// sent it. The result equals ParseBytes(prefix+raw), offsets and all, so
// that delivery can parse a spooled body where it lies (ParseFilePrefixed)
// and hand the metadata to the store (docs/flow.md). A prefix that is not
// whole lines, or that ends the header (a blank line), or a raw whose first
// line would continue the prefix's last field, is joined and parsed as one.
func ParsePrefixed(prefix, raw []byte) *Meta {
	if len(prefix) == 0 {
		return ParseBytes(raw)
	}
	if !headerLines(prefix) || (len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t')) {
		return ParseBytes(append(slices.Clip(prefix), raw...))
	}
	p := parser{raw: raw, budget: maxParts - 1}
	h := scanHeader(raw, 0, len(raw))
	ph := scanHeader(prefix, 0, len(prefix))
	fields := append(ph.fields, h.fields...)
	// The joined header keeps the first maxFields fields (header.add).
	h.fields = fields[:min(len(fields), maxFields)]
	m := p.message(&h, 0, len(raw), 0)
	shift(&m.Body, int64(len(prefix)))
	m.Body.Offset = 0
	m.Body.HeaderSize += int64(len(prefix))
	m.Headers = decodedFields(&h)
	m.WireSize = WireSize(prefix) + WireSize(raw)
	return m
}

// headerLines reports whether b is one or more whole lines, none blank:
// header fields that cannot end a header section (RFC 5322 §2.1).
func headerLines(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return false
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if hdr.IsBlank(b[:i+1]) {
			return false
		}
		b = b[i+1:]
	}
	return true
}

// shift moves the offsets of pt and of everything inside it by d.
func shift(pt *Part, d int64) {
	pt.Offset += d
	for i := range pt.Children {
		shift(&pt.Children[i], d)
	}
	if pt.Message != nil {
		shift(&pt.Message.Body, d)
	}
}

// ParseFilePrefixed is ParsePrefixed for a message whose raw part is the
// size octets of f from off: a spooled body, mapped read-only for the
// parse like ParseFile, so that a large body costs page cache, not heap.
func ParseFilePrefixed(prefix []byte, f *os.File, off, size int64) (*Meta, error) {
	var m *Meta
	err := mapFile(f, off, size, func(raw []byte) { m = ParsePrefixed(prefix, raw) })
	return m, err
}

// readSection reads size octets of f from off into memory, for the systems
// (and sizes) where mapping is not possible.
func readSection(f *os.File, off, size int64, parse func(raw []byte)) error {
	raw, err := io.ReadAll(io.NewSectionReader(f, off, size))
	if err != nil {
		return err
	}
	parse(raw)
	return nil
}
