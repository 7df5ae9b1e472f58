// Command importgen writes the same N small generated messages (about
// 1 KiB, a third of them replies) as an mbox and as a Dovecot Maildir
// INBOX with dovecot-uidlist, for bench/importbench.sh: a million
// messages in one folder fit in a few GB.
//
//	importgen -n N [-mbox FILE] [-maildir DIR]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "number of messages")
	mboxPath := flag.String("mbox", "", "mbox file to write")
	dir := flag.String("maildir", "", "Maildir to write (cur/ with dovecot-uidlist)")
	flag.Parse()
	if err := run(*n, *mboxPath, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "importgen:", err)
		os.Exit(1)
	}
}

const uidValidity = 1_600_000_000

func run(n int, mboxPath, dir string) error {
	var mb *bufio.Writer
	if mboxPath != "" {
		f, err := os.Create(mboxPath)
		if err != nil {
			return err
		}
		defer f.Close()
		mb = bufio.NewWriterSize(f, 1<<20)
	}
	var ul *bufio.Writer
	if dir != "" {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				return err
			}
		}
		f, err := os.Create(filepath.Join(dir, "dovecot-uidlist"))
		if err != nil {
			return err
		}
		defer f.Close()
		ul = bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintf(ul, "3 V%d N%d\n", uidValidity, n+1)
	}
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := range n {
		date := t0.Add(time.Duration(i) * time.Minute)
		msg := message(i, date)
		if mb != nil {
			fmt.Fprintf(mb, "From sender%d@example.com %s\n", i%50, date.Format("Mon Jan _2 15:04:05 2006"))
			mb.WriteString(msg)
			mb.WriteString("\n")
		}
		if ul != nil {
			base := fmt.Sprintf("%d.M%dP1.gen,S=%d", date.Unix(), i, len(msg))
			flags := "S"
			if i%10 == 0 {
				flags = "FS"
			}
			p := filepath.Join(dir, "cur", base+":2,"+flags)
			if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
				return err
			}
			if err := os.Chtimes(p, date, date); err != nil {
				return err
			}
			fmt.Fprintf(ul, "%d :%s\n", i+1, base)
		}
		if (i+1)%100000 == 0 {
			fmt.Fprintf(os.Stderr, "  %d/%d written (%.0f/s)\n", i+1, n, float64(i+1)/time.Since(start).Seconds())
		}
	}
	for _, w := range []*bufio.Writer{mb, ul} {
		if w != nil {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

var words = strings.Fields(`report meeting budget release server invoice customer deadline plan review
storage network backup outage summary vendor travel payroll contract proposal update schedule`)

// message is message i: LF line ends, about 1 KiB, every third one a
// reply to the one before (In-Reply-To and References).
func message(i int, date time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.com>\nTo: a@example.org\n", i%50, i%50)
	fmt.Fprintf(&b, "Subject: %s %s %d\nDate: %s\nMessage-ID: <%d.gen@example.com>\n",
		words[i%len(words)], words[(i/7)%len(words)], i, date.Format(time.RFC1123Z), i)
	if i%3 == 2 {
		fmt.Fprintf(&b, "In-Reply-To: <%d.gen@example.com>\nReferences: <%d.gen@example.com>\n", i-1, i-1)
	}
	b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
	for line := 0; b.Len() < 1000; line++ {
		for w := range 10 {
			b.WriteString(words[(i*31+line*7+w*3)%len(words)])
			b.WriteByte(' ')
		}
		b.WriteString("ok\n")
	}
	return b.String()
}
