package pop3d

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// fill delivers n messages of about size octets each, concurrently.
func (e *env) fill(n, size int) {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := testMessage(i) + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", size/65)
				res, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(body)},
					[]store.Target{{Account: e.acct.ID}})
				if err == nil {
					err = res[0].Err
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		e.t.Fatal(err)
	default:
	}
}

// TestHeavyDownloadAndDelete downloads and deletes 10,000 messages of
// 4 KiB in one session, one command at a time as poplib does, and checks
// every size. bench/pop3.sh measures the rate against Dovecot.
func TestHeavyDownloadAndDelete(t *testing.T) {
	if os.Getenv("PETREL_HEAVY") != "1" {
		t.Skip("PETREL_HEAVY=1 runs it")
	}
	const n = 10000
	e := newEnv(t, nil)
	e.fill(n, 4096)
	start := time.Now()
	cl := e.login()
	cl.cmd("LIST", fmt.Sprintf("+OK %d messages", n))
	list := cl.multi()
	for i := 1; i <= n; i++ {
		var num, size int
		fmt.Sscanf(list[i-1], "%d %d", &num, &size)
		cl.cmd(fmt.Sprintf("RETR %d", i), fmt.Sprintf("+OK %d octets", size))
		if got := len(cl.rawMulti()); got != size {
			t.Fatalf("RETR %d: %d octets, LIST said %d", i, got, size)
		}
		cl.cmd(fmt.Sprintf("DELE %d", i), "+OK")
	}
	quit := time.Now()
	cl.cmd("QUIT", "+OK")
	d := time.Since(start)
	t.Logf("%d messages downloaded and deleted in %v (QUIT %v): %.0f messages/s", n, d, time.Since(quit), n/d.Seconds())
	mb := e.inbox()
	if mb.Messages != 0 {
		t.Fatalf("%d messages left", mb.Messages)
	}
}
