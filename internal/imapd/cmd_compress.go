package imapd

import (
	"compress/flate"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/petrelmail/petrel/internal/inflate"
)

// COMPRESS=DEFLATE (RFC 4978). After the tagged OK both directions are a
// raw DEFLATE stream (RFC 1951), under TLS when the session has it: STARTTLS
// is valid only before login and COMPRESS only after it, so compression
// always runs inside TLS, never beneath it (RFC 4978 §3, §6).
//
// Memory (README "IMAP", COMPRESS): the commands are inflated by package
// inflate, which keeps the window the client may still refer to (up to
// 32 KiB; a few hundred octets for a client that sent a few commands) and
// no input buffer while the session waits. The responses are deflated by
// a compressor taken from a pool for each burst of responses (a command's
// answer, the updates of an IDLE wake) and given back at its end, after
// the sync flush that ends the burst (RFC 4978 §4): an idle session holds
// none. Each burst starts with an empty history, which costs a little
// ratio on short answers and keeps the 0.8 MB of a compressor off the
// idle sessions. At most Config.MaxCompressors are in use at once (clients
// that stop reading a large FETCH hold theirs until the write deadline);
// a burst that finds none free goes out in stored blocks (RFC 1951
// §3.2.4), valid DEFLATE that needs no compressor.

// compressLevel is the compressor's level: the default, 6
// (docs/benchmarks.md, "COMPRESS": level 1 is faster, but its FETCH of
// envelopes is 28% larger than Dovecot's at level 6, and bandwidth is
// what COMPRESS is for; level 6's compressor is also the smaller, 0.8 MB
// against 1.2).
const compressLevel = flate.DefaultCompression

var compressorPool = sync.Pool{New: func() any {
	zw, _ := flate.NewWriter(nil, compressLevel)
	return zw
}}

type compressArgs struct{ mechanism string }

func parseCompress(_ *session, r *reader, _ *command, a *compressArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	a.mechanism, err = r.atom()
	return err
}

// cmdCompress runs COMPRESS (RFC 4978 §3).
func (s *session) cmdCompress(_ *command, a *compressArgs) status {
	if !strings.EqualFold(a.mechanism, "DEFLATE") {
		return respBAD("Unknown compression mechanism") // RFC 4978 §3: BAD for an unknown argument
	}
	if s.zin != nil {
		// RFC 4978 §3: NO [COMPRESSIONACTIVE] when compression is on
		// already (Go's TLS never compresses: only this layer can be).
		return respNOCode("COMPRESSIONACTIVE", "DEFLATE is active already")
	}
	if s.br != nil && s.br.Buffered() > 0 {
		// RFC 4978 §3: the client waits for the result before it sends
		// more; what it sent would be read on the wrong side of the switch.
		s.state = stateLogout
		return respBAD("Data after COMPRESS")
	}
	s.w.status(s.curTag, respOK("DEFLATE active"))
	if s.w.flush() != nil {
		s.state = stateLogout
		return status{}
	}
	// From the CRLF of the OK on, both directions are compressed.
	s.releaseReader()
	s.zin = inflate.NewReader(countingConn{s.conn, &s.clock})
	s.w.bw.z = &deflater{dst: s.w.bw.w, slots: s.srv.compressors}
	s.w.bw.w = s.w.bw.z
	return status{}
}

// countingConn reads the connection, telling clock what it reads: the
// octets on the wire, not the inflated ones, are what the command clock
// counts.
type countingConn struct {
	c     net.Conn
	clock *cmdClock
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.c.Read(p)
	c.clock.received(n)
	return n, err
}

// deflater compresses what is written to dst, with a compressor taken
// from the pool at the first write of a burst and given back by Flush.
type deflater struct {
	dst   io.Writer
	slots chan struct{} // the server's: a token per compressor in use
	zw    *flate.Writer
	// stored: this burst goes out in stored blocks, every compressor
	// being in use.
	stored bool
}

func (d *deflater) Write(p []byte) (int, error) {
	if d.zw == nil && !d.stored {
		select {
		case d.slots <- struct{}{}:
			d.zw = compressorPool.Get().(*flate.Writer)
			d.zw.Reset(d.dst)
		default:
			d.stored = true
		}
	}
	if d.stored {
		return writeStored(d.dst, p)
	}
	return d.zw.Write(p)
}

// writeStored writes p as non-final stored blocks (RFC 1951 §3.2.4):
// BFINAL 0, BTYPE 00 and the padding to the octet in one octet, LEN and
// NLEN, the data.
func writeStored(dst io.Writer, p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 0xffff)
		hdr := [5]byte{0, byte(k), byte(k >> 8), ^byte(k), ^byte(k >> 8)}
		if _, err := dst.Write(hdr[:]); err != nil {
			return n, err
		}
		w, err := dst.Write(p[:k])
		n += w
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// Flush ends the burst with a sync flush (an empty stored block: the
// stream stays open and byte-aligned, and the next compressor goes on
// from there) and gives the compressor back.
func (d *deflater) Flush() error {
	d.stored = false // stored blocks end where their data does
	if d.zw == nil {
		return nil
	}
	err := d.zw.Flush()
	d.zw.Reset(nil)
	compressorPool.Put(d.zw)
	d.zw = nil
	<-d.slots
	return err
}
