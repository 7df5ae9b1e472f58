package imapd

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The client side of COMPRESS=DEFLATE (RFC 4978), with compress/flate:
// neither Python's imaplib nor go-imap's client has it.

// wireConn counts the octets a connection carries and the sync flushes
// (RFC 4978 §4) in what it reads.
type wireConn struct {
	net.Conn
	in, out atomic.Int64
	last    []byte // the last octets read, for markers across reads
	flushes atomic.Int64
}

var syncMarker = []byte{0, 0, 0xff, 0xff}

func (w *wireConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.in.Add(int64(n))
	buf := append(w.last, p[:n]...)
	w.flushes.Add(int64(bytes.Count(buf, syncMarker) - bytes.Count(w.last, syncMarker)))
	w.last = append([]byte(nil), buf[max(0, len(buf)-3):]...)
	return n, err
}

func (w *wireConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.out.Add(int64(n))
	return n, err
}

// zConn is the compressed side of a client connection: each Write is
// deflated and flushed (a command, as clients send them), reads inflated.
type zConn struct {
	net.Conn
	wire *wireConn
	zw   *flate.Writer
	zr   io.ReadCloser
}

func (z *zConn) Read(p []byte) (int, error) { return z.zr.Read(p) }
func (z *zConn) Write(p []byte) (int, error) {
	if _, err := z.zw.Write(p); err != nil {
		return 0, err
	}
	return len(p), z.zw.Flush()
}

// compress runs COMPRESS DEFLATE and switches the client to the
// compressed stream; the returned wireConn counts the octets on the wire
// from then on.
func (r *raw) compress() *wireConn {
	r.T.Helper()
	r.OK("z COMPRESS DEFLATE")
	if r.R.Buffered() > 0 {
		r.T.Fatal("data after the OK of COMPRESS, before the client compresses")
	}
	w := &wireConn{Conn: r.C}
	zw, _ := flate.NewWriter(w, flate.DefaultCompression)
	z := &zConn{Conn: w, wire: w, zw: zw, zr: flate.NewReader(w)}
	r.C, r.R = z, bufio.NewReader(z)
	return w
}

func TestCompress(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 30 {
		e.deliver("", testMessage("compress"+strconv.Itoa(i), strings.Repeat("line of the body\r\n", 20)), 0)
	}
	before := e.dial()
	before.status("b COMPRESS DEFLATE", "BAD") // RFC 4978 §3: after login only
	before.OK("c NOOP")

	r := e.login()
	r.status("u COMPRESS GZIP", "BAD")
	w := r.compress()
	r.exact("n NOOP", "OK")
	r.status("z2 COMPRESS DEFLATE", "NO [COMPRESSIONACTIVE]")
	u := r.OK("s SELECT INBOX")
	if !has(u, "* 30 EXISTS") {
		t.Fatalf("SELECT: %q", u)
	}
	flushes := w.flushes.Load()
	u = r.OK("f FETCH 1:* (FLAGS ENVELOPE BODY.PEEK[TEXT])")
	if len(u) != 30 || !strings.Contains(u[29], "compress29") || !strings.Contains(u[29], "line of the body") {
		t.Fatalf("FETCH over COMPRESS: %d responses, last %q", len(u), u[len(u)-1])
	}
	// RFC 4978 §4: one flush at the end of the burst, not one per line.
	if n := w.flushes.Load() - flushes; n != 1 {
		t.Fatalf("the FETCH of 30 messages came in %d flushes, want 1", n)
	}
	// A literal in each direction, and a synchronizing one (its
	// continuation request compressed too).
	msg := testMessage("appended", strings.Repeat("compressible ", 500))
	r.OK("a APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg)
	r.Send("a2 APPEND INBOX {" + strconv.Itoa(len(msg)) + "}\r\n")
	r.Expect("+ ")
	r.Send(msg + "\r\n")
	r.Until("a2")
	u = r.OK("g UID FETCH 31:32 (BODY.PEEK[])")
	if len(u) != 2 || !strings.Contains(u[1], msg) {
		t.Fatalf("appended message over COMPRESS: %d responses", len(u))
	}
	r.OK("l LOGOUT")
	if w.in.Load() >= int64(2*len(msg)) {
		t.Fatalf("the two copies of a %d-octet message came in %d octets", len(msg), w.in.Load())
	}
}

// TestCompressIdle: an IDLE session on the compressed stream hears of a
// delivery, and DONE, sent compressed, ends it.
func TestCompressIdle(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("one", "x"), 0)
	r := e.login()
	r.compress()
	r.OK("s SELECT INBOX")
	r.Send("i IDLE\r\n")
	r.Expect("+ ")
	e.deliver("", testMessage("two", "y"), 0)
	r.waitFor("* 2 EXISTS")
	e.deliver("", testMessage("three", "z"), 0)
	r.waitFor("* 3 EXISTS")
	r.Send("DONE\r\n")
	if _, st := r.Until("i"); !strings.HasPrefix(st, "i OK") {
		t.Fatalf("DONE: %q", st)
	}
	r.OK("n NOOP")
}

// TestCompressBomb: a command line that inflates to 64 MiB is refused
// like any line over the limit; the server's memory does not follow the
// inflated size, and the session goes on.
func TestCompressBomb(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	w := r.compress()
	z := r.C.(*zConn)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap := ms.HeapInuse
	out := w.out.Load()
	z.zw.Write([]byte("b1 NOOP "))
	zeros := make([]byte, 1<<20)
	for range 64 {
		z.zw.Write(zeros)
	}
	z.zw.Write([]byte("\r\n"))
	z.zw.Flush()
	r.Expect("b1 BAD [TOOBIG]")
	sent := w.out.Load() - out
	runtime.ReadMemStats(&ms)
	if grew := int64(ms.HeapInuse) - int64(heap); grew > 16<<20 {
		t.Fatalf("the heap grew by %d MiB for a line of 64 MiB inflated", grew>>20)
	}
	t.Logf("64 MiB line sent as %d octets", sent)
	// A literal announced far over the limit: refused, the stream in sync.
	r.Send("b2 LOGIN {99999999}\r\n")
	r.Expect("b2 BAD")
	r.OK("b3 NOOP")
}

// TestCompressBadStream: a client that sends what is not DEFLATE after
// COMPRESS is cut off; nothing of it is executed.
func TestCompressBadStream(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("z COMPRESS DEFLATE")
	r.Send("a CREATE Junk2\r\n") // not compressed: block type 3 somewhere
	r.EOF()
	boxes, err := e.st.Mailboxes(t.Context(), e.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.Name == "Junk2" {
			t.Fatal("a command sent uncompressed after COMPRESS was executed")
		}
	}

}

// waitFor reads responses up to one that starts with prefix.
func (r *raw) waitFor(prefix string) {
	r.T.Helper()
	for {
		if strings.HasPrefix(r.Response(), prefix) {
			return
		}
	}
}

// BenchmarkFetchEnvelopeCompress is the full envelope scan of a client
// that caches headers, UID FETCH 1:* (FLAGS ENVELOPE) of benchMessages
// messages, in clear and over COMPRESS=DEFLATE (the client inflating
// with compress/flate in the same process): time, and octets from the
// server per scan (wire-B/op).
func BenchmarkFetchEnvelopeCompress(b *testing.B) {
	e := benchEnv(b, benchMessages)
	const cmd = "UID FETCH 1:* (FLAGS ENVELOPE)"
	for _, deflate := range []bool{false, true} {
		name := "plain"
		if deflate {
			name = "deflate"
		}
		b.Run(name, func(b *testing.B) {
			r := e.login()
			var w *wireConn
			if deflate {
				w = r.compress()
			} else {
				w = &wireConn{Conn: r.C}
				r.C, r.R = w, bufio.NewReader(w)
			}
			r.OK("s SELECT INBOX")
			r.C.SetDeadline(time.Time{})
			in := w.in.Load()
			b.ResetTimer()
			for b.Loop() {
				if u := r.OK("c " + cmd); len(u) != benchMessages {
					b.Fatalf("%d responses", len(u))
				}
			}
			b.ReportMetric(float64(w.in.Load()-in)/float64(b.N), "wire-B/op")
		})
	}
}

// TestDeflaterSlots: with every compressor in use, a burst goes out in
// stored blocks that inflate to the same octets; once one is given back,
// the next burst is compressed again.
func TestDeflaterSlots(t *testing.T) {
	slots := make(chan struct{}, 1)
	var a, b bytes.Buffer
	da, db := &deflater{dst: &a, slots: slots}, &deflater{dst: &b, slots: slots}
	text := bytes.Repeat([]byte("* 1 FETCH (FLAGS (\\Seen))\r\n"), 5000) // 135,000 octets
	da.Write(text)
	db.Write(text) // no compressor left
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if b.Len() < len(text) {
		t.Fatalf("without a compressor: %d octets for %d, want stored blocks", b.Len(), len(text))
	}
	da.Flush()
	if a.Len() > len(text)/20 {
		t.Fatalf("with a compressor: %d octets for %d", a.Len(), len(text))
	}
	stored := b.Len()
	db.Write(text) // the compressor is free again
	db.Flush()
	if b.Len()-stored > len(text)/20 {
		t.Fatalf("second burst: %d octets, want it compressed", b.Len()-stored)
	}
	for _, z := range [][]byte{a.Bytes(), b.Bytes()} {
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
		if err != io.ErrUnexpectedEOF { // no final block: the stream stays open
			t.Fatalf("inflate: %v", err)
		}
		if !bytes.Equal(got, append(append([]byte(nil), text...), text...)[:len(got)]) || len(got)%len(text) != 0 {
			t.Fatalf("inflated %d octets, differ from what was written", len(got))
		}
	}
	if len(slots) != 0 {
		t.Fatalf("%d compressors still counted in use", len(slots))
	}
}
