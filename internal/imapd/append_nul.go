package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/petrelmail/petrel/internal/mime7bit"
	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/store"
)

// NUL octets in APPEND (README "IMAP"). A plain literal may not hold
// them (RFC 9051 §4.3: CHAR8 excludes NUL): such an APPEND is BAD
// (appendLiteral). A literal8 may (RFC 3516 §4.4), but FETCH sends
// BODY sections in plain literals, so the message is stored with each
// part holding NUL in base64 (RFC 3516 §4.2, RFC 2045 §6.8): converted
// once, here, before the store, so that the stored size, RFC822.SIZE,
// BODYSTRUCTURE, SEARCH LARGER/SMALLER and STATUS SIZE all describe
// what FETCH sends, and BINARY[n] decodes the part back to its octets.

// nulWriter writes to w and notes whether a NUL went through.
type nulWriter struct {
	w    io.Writer
	seen bool
}

func (n *nulWriter) Write(p []byte) (int, error) {
	if !n.seen && bytes.IndexByte(p, 0) >= 0 {
		n.seen = true
	}
	return n.w.Write(p)
}

// encodeNUL re-encodes, before the store, the parts of a message that
// hold NUL (received in a literal8) as base64, streaming from its spool
// to a new one (mime7bit NoNUL: memory bounded by a few buffers). NUL
// that no encoding can carry (a header field, a multipart preamble or
// epilogue, a part already encoded) refuses the message with NO: RFC
// 9051 §6.3.12 answers NO for an "error in ... message text". ([PARSE],
// RFC 5530 §3, is about a message already in the mailbox; [UNKNOWN-CTE],
// RFC 3516 §4.3, about an encoding the server cannot decode.)
func (s *session) encodeNUL(m *appendMsg) status {
	if !m.body.nul {
		return status{}
	}
	plan, err := mime7bit.ScanFor(m.body.open(), mime7bit.NoNUL)
	switch {
	case errors.Is(err, mime7bit.ErrHeaderNUL):
		return respNO("NUL octets in a header field cannot be encoded: message not stored")
	case mime7bit.Unconvertible(err):
		return respNO("NUL octets where no Content-Transfer-Encoding can apply " +
			"(a multipart preamble or epilogue, an encoded part): message not stored")
	case err != nil:
		return s.encodeError(err)
	}
	out, err := s.encodedSpool(m.body, plan)
	if err != nil {
		return s.encodeError(err)
	}
	m.body.close()
	m.body = out
	return status{}
}

// encodedSpool writes the message of in, converted by plan, to a new
// spool: in memory when in was, else in a file of the spool directory.
func (s *session) encodedSpool(in *spooled, plan *mime7bit.Plan) (*spooled, error) {
	if in.f == nil {
		var buf bytes.Buffer
		if err := plan.Apply(in.open(), &buf); err != nil {
			return nil, err
		}
		return &spooled{data: buf.Bytes(), size: int64(buf.Len())}, nil
	}
	f, err := os.CreateTemp(s.srv.cfg.SpoolDir, "imap-append-*")
	if err != nil {
		return nil, err
	}
	out := &spooled{f: f}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = plan.Apply(in.open(), bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		out.close()
		return nil, err
	}
	if out.size, err = f.Seek(0, io.SeekCurrent); err != nil {
		out.close()
		return nil, err
	}
	return out, nil
}

// encodeError answers a conversion that failed reading or writing a
// spool: UNAVAILABLE on a full disk, as a store write would be.
func (s *session) encodeError(err error) status {
	kind := store.KindInternal
	if spool.IsNoSpace(err) {
		kind = store.KindNoSpace
	}
	return s.storeError("append", store.Wrap(kind, "append", err))
}
