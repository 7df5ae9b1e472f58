package inflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// sample is text like IMAP commands and messages, with repeats for matches.
func sample(rng *rand.Rand, n int) []byte {
	words := []string{"a001 ", "UID FETCH ", "1:* ", "(FLAGS ENVELOPE)", "\r\n", "Subject: ", "hello ", "world ", "From: <alice@example.org>"}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.IntN(10) == 0 {
			b.WriteByte(byte(rng.IntN(256)))
			continue
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// compress deflates data at level with a sync flush after each chunk,
// without a final block: the stream a COMPRESS client sends.
func compress(t testing.TB, data []byte, level int, chunks []int) []byte {
	var out bytes.Buffer
	zw, err := flate.NewWriter(&out, level)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		c = min(c, len(data))
		zw.Write(data[:c])
		data = data[c:]
		zw.Flush()
	}
	zw.Write(data)
	zw.Flush()
	return out.Bytes()
}

// trickle delivers its input a few octets at a time, failing every
// other read with a timeout like a connection whose deadline passed.
type trickle struct {
	data []byte
	n    int
	fail bool
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "timeout" }
func (timeoutErr) Timeout() bool { return true }

func (t *trickle) Read(p []byte) (int, error) {
	if t.fail = !t.fail; t.fail {
		return 0, os.ErrDeadlineExceeded
	}
	if len(t.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), t.n)], t.data)
	t.data = t.data[n:]
	return n, nil
}

// readAll reads r to its end, retrying on timeouts (as an IDLE session
// woken by its deadline reads on), in reads of size chunk.
func readAll(r *Reader, chunk int) ([]byte, error) {
	var out []byte
	buf := make([]byte, chunk)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			r.Release()
			continue
		}
		if err != nil {
			return out, err
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		for _, size := range []int{0, 1, 100, 5000, 70000, 300000} {
			data := sample(rng, size)
			chunks := []int{rng.IntN(50), rng.IntN(5000), rng.IntN(40000)}
			z := compress(t, data, level, chunks)
			for _, step := range []int{1, 7, 4096} {
				got, err := readAll(NewReader(&trickle{data: z, n: step}), 1+rng.IntN(5000))
				if err != io.EOF {
					t.Fatalf("level %d size %d step %d: err %v, want EOF between blocks", level, size, step, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("level %d size %d step %d: got %d octets, differ from the %d sent", level, size, step, len(got), len(data))
				}
			}
		}
	}
}

// TestFinalBlock: after the final block, EOF, whatever follows.
func TestFinalBlock(t *testing.T) {
	var out bytes.Buffer
	zw, _ := flate.NewWriter(&out, flate.DefaultCompression)
	zw.Write([]byte("a1 LOGOUT\r\n"))
	zw.Close()
	out.WriteString("junk after the end")
	got, err := io.ReadAll(NewReader(&out))
	if err != nil || string(got) != "a1 LOGOUT\r\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestTruncated(t *testing.T) {
	z := compress(t, []byte("a1 NOOP\r\na2 NOOP\r\n"), flate.BestSpeed, nil)
	_, err := io.ReadAll(NewReader(bytes.NewReader(z[:len(z)-6])))
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err %v, want ErrUnexpectedEOF", err)
	}
}

func TestCorrupt(t *testing.T) {
	for _, z := range [][]byte{
		{0x07},                         // block type 3
		{0x00, 0x05, 0x00, 0x05, 0x00}, // stored: NLEN is not LEN's complement
	} {
		_, err := io.ReadAll(NewReader(bytes.NewReader(z)))
		if err != ErrCorrupt && err != io.ErrUnexpectedEOF {
			t.Errorf("%x: err %v, want ErrCorrupt", z, err)
		}
	}
	// A match before any output: fixed block, length symbol 257, distance 0.
	_, err := io.ReadAll(NewReader(bytes.NewReader([]byte{0x03, 0x02, 0x00})))
	if err != ErrCorrupt {
		t.Errorf("match before the start: err %v, want ErrCorrupt", err)
	}
}

// TestBomb: a stream that expands a thousandfold is decoded only as
// fast as it is read, in a window of at most 32 KiB.
func TestBomb(t *testing.T) {
	z := compress(t, make([]byte, 64<<20), flate.BestCompression, nil)
	r := NewReader(bytes.NewReader(z))
	var p [100]byte
	n, err := r.Read(p[:])
	if n != len(p) || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	if r.wpos > uint64(len(p))+maxMatch {
		t.Fatalf("decoded %d octets for a read of %d", r.wpos, len(p))
	}
	n64, err := io.Copy(io.Discard, r)
	if err != nil || n64+int64(len(p)) != 64<<20 {
		t.Fatalf("copied %d, %v", n64, err)
	}
	if len(r.win) != windowSize {
		t.Fatalf("window %d octets, want %d", len(r.win), windowSize)
	}
	t.Logf("%d compressed octets gave 64 MiB", len(z))
}

// TestIdleMemory: a stream that has carried a few commands holds a small
// window and, released, no input buffer.
func TestIdleMemory(t *testing.T) {
	cmds := []byte("a1 LOGIN alice secret\r\na2 SELECT INBOX\r\na3 IDLE\r\nDONE\r\na4 IDLE\r\n")
	r := NewReader(bytes.NewReader(compress(t, cmds, flate.DefaultCompression, []int{23, 17, 10, 6})))
	got := make([]byte, len(cmds))
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, cmds) {
		t.Fatalf("got %q, %v", got, err)
	}
	r.Release()
	if r.buf != nil || len(r.win) > minWindow {
		t.Fatalf("idle: input buffer %v, window %d octets", r.buf != nil, len(r.win))
	}
}

// FuzzReader compares the Reader with compress/flate on arbitrary
// input, delivered in pieces of fuzzed size with timeouts between them
// and read in reads of fuzzed size: a stream that one decodes to its
// final block, the other decodes to the same octets.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0x03, 0x00}, uint16(0), uint8(1))
	f.Add(compress(f, []byte("a1 UID FETCH 1:* (FLAGS)\r\na1 UID FETCH 1:* (FLAGS)\r\n"), flate.BestSpeed, []int{10}), uint16(3), uint8(5))
	f.Add([]byte{0x07}, uint16(0), uint8(1))
	f.Fuzz(func(t *testing.T, z []byte, chunk uint16, step uint8) {
		want, werr := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
		r := NewReader(&trickle{data: z, n: 1 + int(step)})
		got, gerr := readAll(r, 1+int(chunk)%5000)
		ended := gerr == io.EOF && r.state == stEnd
		if ended != (werr == nil) {
			t.Fatalf("flate: %d octets, %v; Reader: %d octets, %v, at the end %v", len(want), werr, len(got), gerr, r.state == stEnd)
		}
		if ended && !bytes.Equal(got, want) {
			t.Fatalf("output differs from flate's")
		}
	})
}

// BenchmarkRead inflates 4 MiB of text like commands and messages (an
// APPEND over COMPRESS), against compress/flate's reader.
func BenchmarkRead(b *testing.B) {
	data := sample(rand.New(rand.NewPCG(3, 4)), 4<<20)
	z := compress(b, data, flate.DefaultCompression, []int{1 << 20, 1 << 20})
	b.Run("inflate", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if n, err := io.Copy(io.Discard, NewReader(bytes.NewReader(z))); n != int64(len(data)) || err != nil {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("compress-flate", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(z))); n != int64(len(data)) || err != io.ErrUnexpectedEOF {
				b.Fatal(n, err)
			}
		}
	})
}
