package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

var words = []string{"petrel", "albatross", "shearwater", "storm", "ocean", "wave", "colony", "burrow",
	"night", "island", "flight", "feather", "wind", "krill", "squid", "nest", "egg", "chick", "cliff",
	"survey", "count", "report", "meeting", "budget", "draft", "review", "schedule", "notes", "the",
	"a", "of", "and", "to", "in", "is", "for", "on", "with", "as", "at", "by", "from"}

// message generates message n of account to: a plain-text message of
// about size octets (CRLF lines), with its own Message-ID and, for one
// message in four, an In-Reply-To of the one before (threads).
func message(r *rand.Rand, to string, n, size int, date time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Sender %d <s%d@source.test>\r\n", n%97, n%97)
	fmt.Fprintf(&b, "To: <%s>\r\n", to)
	fmt.Fprintf(&b, "Subject: %s %s report %d\r\n", words[r.IntN(len(words))], words[r.IntN(len(words))], n)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.%s@source.test>\r\n", n, to)
	if n%4 == 3 {
		fmt.Fprintf(&b, "In-Reply-To: <%d.%s@source.test>\r\n", n-1, to)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	line := 0
	for b.Len() < size {
		w := words[r.IntN(len(words))]
		if line+len(w) > 72 {
			b.WriteString("\r\n")
			line = 0
		} else if line > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}
