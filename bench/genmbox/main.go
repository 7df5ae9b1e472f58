// Command genmbox writes a deterministic mbox of realistic mail for the
// IMAP benchmark (bench/imap.sh; docs/benchmarks.md §IMAP):
//
//	genmbox [-n COUNT] [-seed SEED] [-o FILE]
//
// The same COUNT and SEED give the same bytes. The messages are a mix of
// short plain-text notes (45%), multipart/alternative newsletters (30%)
// and multipart/mixed mail with a base64 attachment (25%); a quarter are
// replies inside threads (In-Reply-To and References naming earlier
// messages of the file, "Re:" subjects, quoted text); names and subjects
// with non-ASCII letters are RFC 2047 encoded words. Sizes follow a
// log-normal distribution (median about 4 KB, clamped to 300 B..300 KB).
// The output is mboxrd with LF line ends: a "From " separator line per
// message, body lines starting with ">*From " get one more '>'.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "number of messages (1..1000000)")
	seed := flag.Uint64("seed", 42, "seed of the generator")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	if *n < 1 || *n > 1_000_000 {
		fmt.Fprintln(os.Stderr, "genmbox: -n must be 1..1000000")
		os.Exit(2)
	}
	w := io.Writer(os.Stdout)
	var f *os.File
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, "genmbox:", err)
			os.Exit(1)
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	total, err := write(bw, *n, *seed)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && f != nil {
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmbox:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %d messages, %.1f MB of messages (mean %.1f KB)\n",
		*n, float64(total)/1e6, float64(total)/float64(*n)/1e3)
}

// write writes n messages to w and returns the octets of the messages
// (without the separator lines).
func write(w io.Writer, n int, seed uint64) (int64, error) {
	g := newGenerator(seed)
	var total int64
	for range n {
		m := g.next()
		total += int64(len(m.text))
		sep := "From bench@example.com " + m.date.UTC().Format(time.ANSIC) + "\n"
		if _, err := io.WriteString(w, sep); err != nil {
			return total, err
		}
		if _, err := w.Write(escapeFrom(m.text)); err != nil {
			return total, err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return total, err
		}
	}
	return total, nil
}

// escapeFrom applies mboxrd quoting: every line matching ^>*From gets one
// more '>' in front.
func escapeFrom(text []byte) []byte {
	out := make([]byte, 0, len(text)+16)
	for start := 0; start < len(text); {
		end := start
		for end < len(text) && text[end] != '\n' {
			end++
		}
		if end < len(text) {
			end++
		}
		line := text[start:end]
		i := 0
		for i < len(line) && line[i] == '>' {
			i++
		}
		if len(line)-i >= 5 && string(line[i:i+5]) == "From " {
			out = append(out, '>')
		}
		out = append(out, line...)
		start = end
	}
	return out
}
