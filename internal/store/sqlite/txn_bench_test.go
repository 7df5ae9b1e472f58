package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// BenchmarkDeliverCPU measures the work of one delivery without its
// fsync: taking the body in, then its op in a batch of 256 ops committed
// together (as the writer runs them), into 16 accounts. It shows what
// the write path costs per message apart from the disk.
func BenchmarkDeliverCPU(b *testing.B) {
	ctx := context.Background()
	e := openStoreEnv(b, b.TempDir(), Options{})
	s := e.s
	accts := []store.AccountID{e.acct}
	for i := 1; i < 16; i++ {
		a, err := s.CreateAccount(ctx, fmt.Sprintf("u%d@example.org", i), "h")
		if err != nil {
			b.Fatal(err)
		}
		accts = append(accts, a.ID)
	}
	const batch = 256
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		var ops []*op
		for j := i; j < i+batch && j < b.N; j++ {
			body := fmt.Sprintf("From: a@example.com\r\nSubject: s\r\nMessage-ID: <%d@x>\r\nIn-Reply-To: <%d@x>\r\n\r\n%s",
				j, j-1, strings.Repeat("body line of a small message\r\n", 100))
			bd, err := s.intake(strings.NewReader(body), nil)
			if err != nil {
				b.Fatal(err)
			}
			targets := []store.Target{{Account: accts[j%len(accts)]}}
			ops = append(ops, &op{name: "deliver", done: make(chan error, 1), fn: func(t *txn) error {
				_, err := t.deliver(bd, targets, now, make([]store.Delivered, 1))
				return err
			}})
		}
		errs, _ := s.w.runBatch(ops)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
