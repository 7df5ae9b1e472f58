package msgmeta

import "bytes"

// WireSize returns the size of raw as SMTP DATA (RFC 5321 §4.5.2) and POP3
// RETR (RFC 1939 §3) transmit it, without the terminating ".CRLF" line:
//
//   - every line ends in CRLF: a bare LF becomes CRLF, and a CR at the very
//     end of raw (a line ending cut in half) is dropped before it;
//   - a last line without a line ending gets a CRLF;
//   - a line that starts with "." gets one more "." (dot-stuffing).
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
		if len(line) > 0 && line[0] == '.' {
			n++
		}
	}
	return n
}
