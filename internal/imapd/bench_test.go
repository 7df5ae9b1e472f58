package imapd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// The benchmarks run the commands of bench/imap.sh on a mailbox of
// benchMessages messages shaped like bench/genmbox's, over
// loopback: `go test -run x -bench . ./internal/imapd`.
const benchMessages = 5000

var benchWords = strings.Fields("the of and to in is that for it as was with be by on not he this are or his " +
	"from at which but have an they you were her she there server mailbox message invoice meeting deadline " +
	"report quarterly budget release deploy ticket review schedule project customer support backup storage")

// benchMessage is message i: plain text, multipart/alternative or with
// an attachment, a few Received fields, sometimes Cc and an encoded word.
func benchMessage(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	names := []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Mallory", "Trent", "Zoe"}
	person := func() string {
		n := names[r.IntN(len(names))]
		return fmt.Sprintf("%s Smith <%s.smith@example.net>", n, strings.ToLower(n))
	}
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			if b.Len()%70 < 8 {
				b.WriteString("\r\n")
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	var h strings.Builder
	for hop := 0; hop < 1+r.IntN(3); hop++ {
		fmt.Fprintf(&h, "Received: from mx%d.example.org (mx%d.example.org [192.0.2.%d])\r\n\tby mail.example.net with ESMTPS id %08X\r\n\tfor <alice@example.org>; Mon, 6 Nov 2023 10:%02d:00 +0000\r\n",
			hop, hop, r.IntN(254), r.Uint32(), hop)
	}
	fmt.Fprintf(&h, "Message-ID: <%d.%08x@example.net>\r\nDate: Mon, 6 Nov 2023 10:00:00 +0000\r\nFrom: %s\r\nTo: %s\r\n", i, r.Uint32(), person(), person())
	if r.IntN(3) == 0 {
		fmt.Fprintf(&h, "Cc: %s, %s\r\n", person(), person())
	}
	if r.IntN(10) == 0 {
		h.WriteString("Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\r\nMIME-Version: 1.0\r\n")
	} else {
		fmt.Fprintf(&h, "Subject: %s\r\nMIME-Version: 1.0\r\n", text(30))
	}
	size := 1000 + r.IntN(8000)
	switch k := r.IntN(4); {
	case k < 2:
		return h.String() + "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + text(size) + "\r\n"
	case k == 2:
		t := text(size / 2)
		return h.String() + "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + t + "\r\n--alt\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><p>" +
			t + "</p></html>\r\n--alt--\r\n"
	default:
		return h.String() + "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + text(size/4) + "\r\n--mix\r\n" +
			"Content-Type: application/pdf; name=\"file.pdf\"\r\nContent-Disposition: attachment; filename=\"file.pdf\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n", size/66) + "--mix--\r\n"
	}
}

// benchEnv is a server whose INBOX holds n benchmark messages (in UID
// order of i, most of them seen).
func benchEnv(b *testing.B, n int) *env {
	e := newEnv(b, nil)
	fillBench(b, e, n)
	// What the server's background indexer does.
	if _, err := e.st.RebuildTextIndex(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	return e
}

// fillBench delivers n benchmark messages into e's INBOX.
func fillBench(b testing.TB, e *env, n int) {
	msgs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range msgs {
				flags := store.FlagSeen
				if i%97 == 0 {
					flags = 0
				}
				_, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(benchMessage(i))},
					[]store.Target{{Account: e.acct.ID, Flags: flags}})
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		msgs <- i
	}
	close(msgs)
	wg.Wait()
}

// benchCommand times one command on a session with INBOX selected.
func benchCommand(b *testing.B, cmd string, want func(untagged []string) bool) {
	benchCommandEnv(b, benchEnv(b, benchMessages), cmd, want)
}

func benchCommandEnv(b *testing.B, e *env, cmd string, want func(untagged []string) bool) {
	r := e.login()
	r.OK("s SELECT INBOX")
	r.C.SetDeadline(time.Time{})
	b.ResetTimer()
	for b.Loop() {
		u := r.OK("c " + cmd)
		if !want(u) {
			b.Fatalf("%s: unexpected answer (%d lines)", cmd, len(u))
		}
	}
}

func BenchmarkSelect(b *testing.B) {
	benchCommand(b, "SELECT INBOX", func(u []string) bool { return has(u, fmt.Sprintf("* %d EXISTS", benchMessages)) })
}

func BenchmarkFetchFlags(b *testing.B) {
	benchCommand(b, "UID FETCH 1:* (UID FLAGS)", func(u []string) bool { return len(u) == benchMessages })
}

func BenchmarkFetchEnvelope(b *testing.B) {
	benchCommand(b, "FETCH 1:200 (ENVELOPE BODYSTRUCTURE)", func(u []string) bool { return len(u) == 200 })
}

// BenchmarkFetchEnvelopeUncached is the first FETCH of those messages
// since the server started: no item cache, metadata read from the store.
func BenchmarkFetchEnvelopeUncached(b *testing.B) {
	e := newEnv(b, func(c *Config, _ *Deps) { c.ItemCacheBytes = 1 })
	fillBench(b, e, benchMessages)
	benchCommandEnv(b, e, "FETCH 1:200 (ENVELOPE BODYSTRUCTURE)", func(u []string) bool { return len(u) == 200 })
}

func BenchmarkSearchText(b *testing.B) {
	benchCommand(b, `UID SEARCH TEXT "Mallory"`, func(u []string) bool { return len(u) == 1 })
}

func BenchmarkSearchUnseen(b *testing.B) {
	benchCommand(b, `UID SEARCH UNSEEN`, func(u []string) bool { return len(u) == 1 })
}

// BenchmarkFetchSize is a client's size scan (mbsync, a download
// planner): RFC822.SIZE is the size of the stored message, from the
// message record (APPEND stores a message holding NUL already converted,
// append_nul.go, so no serve-time form differs from it).
func BenchmarkFetchSize(b *testing.B) {
	benchCommand(b, "UID FETCH 1:* (UID RFC822.SIZE FLAGS)", func(u []string) bool { return len(u) == benchMessages })
}

// BenchmarkFetchSizeUncached is the size scan without the item cache
// (which RFC822.SIZE does not need).
func BenchmarkFetchSizeUncached(b *testing.B) {
	e := newEnv(b, func(c *Config, _ *Deps) { c.ItemCacheBytes = 1 })
	fillBench(b, e, benchMessages)
	benchCommandEnv(b, e, "UID FETCH 1:* (UID RFC822.SIZE FLAGS)", func(u []string) bool { return len(u) == benchMessages })
}

// BenchmarkFetchFlagsEnvelopeUncached is a header-caching client's scan
// of the whole mailbox, UID FETCH 1:* (FLAGS ENVELOPE), without the item
// cache: bench/imap.sh's 100,000-message scan, whose answers do not fit
// the cache, in small.
func BenchmarkFetchFlagsEnvelopeUncached(b *testing.B) {
	e := newEnv(b, func(c *Config, _ *Deps) { c.ItemCacheBytes = 1 })
	fillBench(b, e, benchMessages)
	benchCommandEnv(b, e, "UID FETCH 1:* (FLAGS ENVELOPE)", func(u []string) bool { return len(u) == benchMessages })
}
