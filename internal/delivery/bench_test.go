package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/rspamd"
	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// BenchmarkDeliver is the local delivery of one message over LMTP's path
// (no checks): the policy stage, the parse of the metadata before the
// store and the store transaction; 4 KiB in memory, 1 MiB spooled to a
// file as smtpd does past 128 KiB.
func BenchmarkDeliver(b *testing.B) {
	ctx := context.Background()
	st, acct := benchStore(b)
	s := New(Config{Hostname: "mx.example.net"}, acct, st, slog.New(slog.DiscardHandler))
	to, _ := mailaddr.Parse("alice@example.org")
	for _, size := range []int{4 << 10, 1 << 20} {
		body := "From: <s@remote.example>\r\nSubject: bench\r\n\r\n" + strings.Repeat("a line of the body that goes on a while\r\n", size/42)
		path := filepath.Join(b.TempDir(), "spool")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var r io.Reader = strings.NewReader(body)
				if size > 128<<10 {
					r = io.NewSectionReader(f, 0, int64(len(body)))
				}
				env := &envelope.Envelope{ID: "bench", Recipients: []envelope.Recipient{{Addr: to}},
					Protocol: "LMTP", PerRecipient: true}
				if rs := s.Deliver(ctx, env, r, int64(len(body))); rs[0] != nil {
					b.Fatal(rs[0])
				}
			}
		})
	}
}

// BenchmarkDeliverFiltered is a 4 KiB message on the MX's path with and
// without a content filter that answers at once (fakeFilter): the
// difference is the filter stage's own cost in delivery (the body read
// once more, the Bayes user looked up, the field added to the copy).
func BenchmarkDeliverFiltered(b *testing.B) {
	ctx := context.Background()
	st, acct := benchStore(b)
	to, _ := mailaddr.Parse("alice@example.org")
	body := "From: <s@remote.example>\r\nSubject: bench\r\n\r\n" + strings.Repeat("a line of the body that goes on a while\r\n", 4096/42)
	field := "X-Spam-Status: No, score=0.10 required=15.00 action=\"no action\"\r\n\ttests=[MIME_GOOD=-0.10, ARC_NA=0.00]\r\n"
	for _, filter := range []Filter{nil, &fakeFilter{verdict: rspamd.Verdict{Header: field, Scanned: true}, discard: true}} {
		s := New(Config{Hostname: "mx.example.net", Filter: filter, Policies: []Policy{QuarantineJunk{}, SpamJunk{}}},
			acct, st, slog.New(slog.DiscardHandler))
		b.Run(fmt.Sprintf("filter=%v", filter != nil), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				env := &envelope.Envelope{ID: "bench", Recipients: []envelope.Recipient{{Addr: to}},
					Protocol: "ESMTP", Listener: ListenerMX}
				if rs := s.Deliver(ctx, env, strings.NewReader(body), int64(len(body))); rs[0] != nil {
					b.Fatal(rs[0])
				}
			}
		})
	}
}

// BenchmarkDeliverSieve is a 4 KiB message on the MX's path without and
// with the account's 50-rule script (bench/sieve50.sieve: no rule
// matches, every rule is evaluated): the difference is the Sieve
// policy's cost in delivery (the script found and run, the copy read).
func BenchmarkDeliverSieve(b *testing.B) {
	ctx := context.Background()
	st, acct := benchStore(b)
	src, err := os.ReadFile("../../bench/sieve50.sieve")
	if err != nil {
		b.Fatal(err)
	}
	scripts := sievescripts.New(st, sieve.Limits{})
	if err := scripts.Put(ctx, "alice@example.org", "rules", src); err != nil {
		b.Fatal(err)
	}
	if err := scripts.Activate(ctx, "alice@example.org", "rules"); err != nil {
		b.Fatal(err)
	}
	to, _ := mailaddr.Parse("alice@example.org")
	body := "From: <s@remote.example>\r\nSubject: bench\r\n\r\n" + strings.Repeat("a line of the body that goes on a while\r\n", 4096/42)
	for _, withSieve := range []bool{false, true} {
		ps := []Policy{QuarantineJunk{}, SpamJunk{}}
		if withSieve {
			ps = append(ps, Sieve{Scripts: scripts, Accounts: st, Hostname: "mx.example.net"})
		}
		s := New(Config{Hostname: "mx.example.net", Policies: ps}, acct, st, slog.New(slog.DiscardHandler))
		b.Run(fmt.Sprintf("sieve=%v", withSieve), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				env := &envelope.Envelope{ID: "bench", Recipients: []envelope.Recipient{{Addr: to}},
					Protocol: "ESMTP", Listener: ListenerMX}
				if rs := s.Deliver(ctx, env, strings.NewReader(body), int64(len(body))); rs[0] != nil {
					b.Fatal(rs[0])
				}
			}
		})
	}
}

// benchStore is a SQLite store in a temporary directory (closed when the
// benchmark ends) with example.org and alice@example.org, and its
// accounts service with cheap password hashing.
func benchStore(b *testing.B) (*sqlite.Store, *accounts.Service) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	acct := accounts.New(st, accounts.Options{Argon: &accounts.ArgonParams{Time: 1, Memory: 64, Threads: 1}})
	if err := acct.AddDomain(context.Background(), "example.org"); err != nil {
		b.Fatal(err)
	}
	if _, err := acct.AddUser(context.Background(), "alice@example.org", "pw"); err != nil {
		b.Fatal(err)
	}
	return st, acct
}
