package imapd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// sortBenchN is the size of the SORT/THREAD benchmarks' mailbox:
// benchMessages, or PETREL_SORT_BENCH_N (100000 for the figures of
// docs/benchmarks.md): `PETREL_SORT_BENCH_N=100000 go test -run x
// -bench 'Sort|Thread' -benchtime 5x ./internal/imapd`.
func sortBenchN() int {
	if n, err := strconv.Atoi(os.Getenv("PETREL_SORT_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return benchMessages
}

// threadMessage is message i of a mailbox of conversations: about one
// in eight starts a thread, the others reply to a random earlier message
// of a recent thread (References and In-Reply-To, "Re: " subjects),
// dates spread over a year, out of arrival order by up to a day.
func threadMessage(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	thread := i
	if i > 0 && r.IntN(8) != 0 {
		thread = max(0, i-1-r.IntN(min(i, 200)))
		thread -= thread % 3 // a few parents get many replies
	}
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*5*time.Minute - time.Duration(r.IntN(86400))*time.Second)
	var h strings.Builder
	fmt.Fprintf(&h, "Message-ID: <t%d@bench.example>\r\nDate: %s\r\nFrom: %s <%s@example.net>\r\nTo: list@example.org\r\n",
		i, date.Format(time.RFC1123Z), benchWords[r.IntN(len(benchWords))], benchWords[r.IntN(len(benchWords))])
	subject := "topic " + strconv.Itoa(thread/8) + " " + benchWords[thread%len(benchWords)]
	if thread != i {
		fmt.Fprintf(&h, "In-Reply-To: <t%d@bench.example>\r\nReferences: <t%d@bench.example> <t%d@bench.example>\r\n",
			thread, thread/2, thread)
		subject = "Re: " + subject
	}
	return h.String() + "Subject: " + subject + "\r\n\r\nbody of " + strconv.Itoa(i) + "\r\n"
}

func fillThreads(b *testing.B, e *env, n int) {
	msgs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range msgs {
				_, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(threadMessage(i))},
					[]store.Target{{Account: e.acct.ID, Flags: store.FlagSeen}})
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

// benchSort times cmd; cached: with the server's sort-key cache (the
// first run fills it), else with a cache of no budget (every run reads
// the metadata).
func benchSort(b *testing.B, cmd, prefix string, cached bool) {
	n := sortBenchN()
	e := newEnv(b, nil)
	if !cached {
		e.srv.sorts = newSortCache(0)
	}
	fillThreads(b, e, n)
	if cached { // fill the cache, untimed
		r := e.login()
		r.C.SetDeadline(time.Time{})
		r.OK("s SELECT INBOX")
		r.OK("w " + cmd)
	}
	benchCommandEnv(b, e, cmd, func(u []string) bool { return len(u) == 1 && strings.HasPrefix(u[0], prefix) })
}

func BenchmarkSortDate(b *testing.B) { benchSort(b, "UID SORT (DATE) UTF-8 ALL", "* SORT ", true) }
func BenchmarkSortSubject(b *testing.B) {
	benchSort(b, "UID SORT (SUBJECT) UTF-8 ALL", "* SORT ", true)
}
func BenchmarkThreadReferences(b *testing.B) {
	benchSort(b, "UID THREAD REFERENCES UTF-8 ALL", "* THREAD (", true)
}

func BenchmarkSortDateUncached(b *testing.B) {
	benchSort(b, "UID SORT (DATE) UTF-8 ALL", "* SORT ", false)
}

func BenchmarkThreadReferencesUncached(b *testing.B) {
	benchSort(b, "UID THREAD REFERENCES UTF-8 ALL", "* THREAD (", false)
}
