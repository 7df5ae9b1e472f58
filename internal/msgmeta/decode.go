package msgmeta

// DecodeWords decodes the RFC 2047 encoded words of a header field body
// (an Envelope's Subject or an Address's Name, which are kept as written)
// to UTF-8, as the decoded Headers are; SORT and THREAD compare decoded
// text (RFC 5256 §2.1 step 1, RFC 5957 §3).
func DecodeWords(s string) string { return decodeWords(s) }
