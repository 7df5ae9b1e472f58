package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// BenchmarkReadMeta reads the metadata (no body) of 200 messages, as a
// FETCH of ENVELOPE and BODYSTRUCTURE does, for inline bodies of a few
// sizes: the cost should not grow with the body.
func BenchmarkReadMeta(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.AddDomain(ctx, "example.org"); err != nil {
				b.Fatal(err)
			}
			acct, err := s.CreateAccount(ctx, "a@example.org", "h")
			if err != nil {
				b.Fatal(err)
			}
			msg := "From: a@example.org\r\nSubject: x\r\n\r\n" + strings.Repeat("body text line\r\n", size/16)
			for i := 0; i < 1000; i++ {
				if _, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader(msg)}, []store.Target{{Account: acct.ID}}); err != nil {
					b.Fatal(err)
				}
			}
			mb, err := s.Mailbox(ctx, acct.ID, "INBOX")
			if err != nil {
				b.Fatal(err)
			}
			uids := make([]store.UID, 200)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				base := store.UID(1 + (i*200)%800)
				for j := range uids {
					uids[j] = base + store.UID(j)
				}
				n := 0
				err := s.ReadMessages(ctx, mb.ID, uids, 0, func(*store.MessageData) error { n++; return nil })
				if err != nil || n != 200 {
					b.Fatalf("read %d: %v", n, err)
				}
			}
		})
	}
}
