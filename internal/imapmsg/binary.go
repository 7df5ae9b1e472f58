package imapmsg

import (
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// BinarySize returns BINARY.SIZE[part] (RFC 3516 §4.2, RFC 9051 §7.5.2):
// the size of the part's content once its Content-Transfer-Encoding is
// decoded. It counts by decoding the part as a stream. The errors are
// those of SectionReader for BINARY[part].
func BinarySize(meta *msgmeta.Meta, body io.ReaderAt, size int64, part []int) (int64, error) {
	if meta == nil {
		meta = bareMeta(size)
	}
	src, err := locateBinary(meta, size, part)
	if err != nil {
		return 0, err
	}
	return src.size(body)
}

// CheckBinary returns the error BINARY[part] and BINARY.SIZE[part] would
// meet, without reading the message: UnknownEncodingError for a part in a
// Content-Transfer-Encoding that cannot be decoded (RFC 3516 §4.3), so
// that a server can refuse a FETCH before its response begins.
func CheckBinary(meta *msgmeta.Meta, size int64, part []int) error {
	if meta == nil {
		meta = bareMeta(size)
	}
	_, err := locateBinary(meta, size, part)
	return err
}

// binarySection serves BINARY[part]<partial> (RFC 3516 §4.1). The decoded
// length must be known before the literal, so an encoded part is decoded
// twice: once to count, once to send.
func binarySection(meta *msgmeta.Meta, body io.ReaderAt, size int64, s Section) (io.Reader, int64, error) {
	src, err := locateBinary(meta, size, s.Part)
	if err != nil {
		return nil, 0, err
	}
	n, err := src.size(body)
	if err != nil {
		return nil, 0, err
	}
	cut := span{0, n}.partial(s.Partial)
	r := src.open(body)
	if cut.start > 0 {
		if _, err := io.CopyN(io.Discard, r, cut.start); err != nil {
			return nil, 0, err
		}
	}
	return io.LimitReader(r, cut.len()), cut.len(), nil
}

// binarySource is the content of a BINARY section: bytes of the message
// and the decoder of their encoding (nil: sent as they are).
type binarySource struct {
	span   span
	decode func(io.Reader) io.Reader
}

func (b binarySource) open(body io.ReaderAt) io.Reader {
	r := io.Reader(io.NewSectionReader(body, b.span.start, b.span.len()))
	if b.decode != nil {
		r = b.decode(r)
	}
	return r
}

// size is the decoded length.
func (b binarySource) size(body io.ReaderAt) (int64, error) {
	if b.decode == nil {
		return b.span.len(), nil
	}
	return io.Copy(io.Discard, b.open(body))
}

// locateBinary finds the content of BINARY[part]. The whole message, a
// multipart and a message/rfc822 are sent as they are (their encoding can
// only be an identity, RFC 2045 §6.4); a leaf is decoded.
func locateBinary(meta *msgmeta.Meta, size int64, part []int) (binarySource, error) {
	if len(part) == 0 {
		return binarySource{span: span{0, size}}, nil
	}
	p := meta.Body.Find(part)
	if p == nil {
		return binarySource{}, nil
	}
	src := binarySource{span: bodyOf(p, size)}
	if len(p.Children) > 0 || p.Message != nil {
		return src, nil
	}
	dec, ok := decoderFor(p.Encoding)
	if !ok {
		return binarySource{}, UnknownEncodingError{Encoding: p.Encoding}
	}
	src.decode = dec
	return src, nil
}

// decoderFor returns the decoder of a Content-Transfer-Encoding (RFC 2045
// §6.1, names case-insensitive), nil for the identities, and false for an
// encoding that is not known.
func decoderFor(enc string) (func(io.Reader) io.Reader, bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "7bit", "8bit", "binary":
		return nil, true
	case "base64":
		return newBase64Reader, true
	case "quoted-printable":
		return newQPReader, true
	}
	return nil, false
}
