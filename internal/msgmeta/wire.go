package msgmeta

import "bytes"

// WireSize returns the size POP3 STAT and LIST announce for raw (RFC 1939
// §5, §11): the message with CRLF line endings, without the byte-stuffing
// that only the transmission adds (and without the terminating ".CRLF"):
//
//   - every line ends in CRLF: a bare LF becomes CRLF, and a CR at the very
//     end of raw (a line ending cut in half) is dropped before it;
//   - a last line without a line ending gets a CRLF;
//   - a line that starts with "." counts as it is (RFC 1939 §11: the
//     stuffed "." is not part of the size).
//
// Bare CRs inside a line are kept as they are. An empty raw has size 0.
func WireSize(raw []byte) int64 {
	var n int64
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		n += int64(len(line)) + 2
	}
	return n
}
