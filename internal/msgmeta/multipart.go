package msgmeta

import "bytes"

// maxBoundary bounds the boundary length (RFC 2046 §5.1.1 allows 70; longer
// ones are tolerated up to this, beyond which the multipart is a leaf).
const maxBoundary = 256

// span is a region raw[start:end].
type span struct{ start, end int }

// splitMultipart finds the body parts of the multipart body raw[start:end]
// (RFC 2046 §5.1.1). A delimiter line is "--" boundary, "--" more for the
// close delimiter, then transport padding (white space) up to the line
// break, at the start of the body or of a line. The preamble before the
// first delimiter and the epilogue after the close delimiter are not parts;
// the line break before a delimiter belongs to it. Without a close
// delimiter the last part runs to end. At most max parts are returned: the
// last one then runs to the close delimiter or end, over the delimiters
// that would have started more.
func splitMultipart(raw []byte, start, end int, boundary string, max int) []span {
	dash := []byte("--" + boundary)
	var spans []span
	cur := -1 // start of the current part; -1 outside parts
	for pos := start; pos < end; {
		i := bytes.Index(raw[pos:end], dash)
		if i < 0 {
			break
		}
		line := pos + i
		pos = line + 1
		if line > start && raw[line-1] != '\n' {
			continue
		}
		closing, next, ok := delimiterEnd(raw, line+len(dash), end)
		if !ok {
			continue
		}
		pos = next
		if cur >= 0 {
			if !closing && len(spans) == max-1 {
				continue
			}
			spans = append(spans, span{cur, partEnd(raw, cur, line)})
			cur = -1
		}
		if closing {
			return spans
		}
		cur = next
	}
	if cur >= 0 {
		spans = append(spans, span{cur, end})
	}
	return spans
}

// delimiterEnd checks the rest of a delimiter line, from just after the
// boundary: an optional "--" (close delimiter), transport padding, then the
// line break or end. It returns where the next line starts.
func delimiterEnd(raw []byte, pos, end int) (closing bool, next int, ok bool) {
	if pos+1 < end && raw[pos] == '-' && raw[pos+1] == '-' {
		closing = true
		pos += 2
	}
	// RFC 2046 §5.1.1: transport-padding (LWSP) may follow the boundary.
	for pos < end && (raw[pos] == ' ' || raw[pos] == '\t' || raw[pos] == '\r') {
		pos++
	}
	switch {
	case pos == end:
		return closing, end, true
	case raw[pos] == '\n':
		return closing, pos + 1, true
	}
	return false, 0, false
}

// partEnd returns where the part that starts at cur ends, given the start
// of the next delimiter line: before the CRLF (or LF) that precedes it.
func partEnd(raw []byte, cur, line int) int {
	// RFC 2046 §5.1.1: "the CRLF preceding the boundary delimiter line is
	// conceptually attached to the boundary".
	e := line
	if e > cur && raw[e-1] == '\n' {
		e--
		if e > cur && raw[e-1] == '\r' {
			e--
		}
	}
	return e
}
