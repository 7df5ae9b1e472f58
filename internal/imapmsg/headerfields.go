package imapmsg

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// headerFields returns the fields of the header r named in names
// (HEADER.FIELDS) or not named there (HEADER.FIELDS.NOT), as they are
// written (folded lines included), then the blank line: RFC 9051 §6.4.5
// "The HEADER.FIELDS ... subset of the header" and its trailing blank line,
// also when nothing matches. Names match ASCII case-insensitively (RFC
// 5322 §1.2.2). Lines that are not fields (no colon) are never returned.
// The header is read a line at a time; only the fields returned are kept.
func headerFields(r io.Reader, names []string, not bool) ([]byte, error) {
	br := bufio.NewReader(r)
	var out bytes.Buffer
	keep, lineStart := false, true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart {
				if isBlank(chunk) {
					break // the end of the header
				}
				if chunk[0] != ' ' && chunk[0] != '\t' { // RFC 5322 §2.2.3: else a continuation
					name, ok := fieldName(chunk)
					keep = ok && listed(names, name) != not
				}
			}
			if keep {
				out.Write(chunk)
			}
			lineStart = chunk[len(chunk)-1] == '\n'
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
	if keep && !lineStart {
		out.WriteString("\r\n") // a last field without a line break
	}
	out.WriteString("\r\n")
	return out.Bytes(), nil
}

// isBlank reports whether line (with its line break) is empty.
func isBlank(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}

// fieldName returns the name of the field that starts line: the text
// before the colon, less the white space RFC 5322 §4.5 (obs-optional)
// allows before it.
func fieldName(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i < 1 {
		return "", false
	}
	name := strings.TrimRight(string(line[:i]), " \t")
	return name, name != ""
}

// listed reports whether name is in names, ignoring ASCII case.
func listed(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}
