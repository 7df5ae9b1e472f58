package accounts

import (
	"context"
	"testing"

	xscram "github.com/xdg-go/scram"

	"github.com/petrelmail/petrel/internal/scram"
)

// The server's work per login: PLAIN (one argon2id verification with
// the default parameters, the cache off) against SCRAM-SHA-256 (the
// lookup, HMACs and the proof check; the client's PBKDF2 is cached by
// xdg-go/scram after the first round). Run:
// go test ./internal/accounts -run XXX -bench Login -benchmem
func BenchmarkLoginPLAIN(b *testing.B) {
	svc, ctx := benchService(b)
	for b.Loop() {
		if _, err := svc.Authenticate(ctx, "bench@example.org", "bench password"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoginSCRAM(b *testing.B) {
	svc, ctx := benchService(b)
	cl, _ := xscram.SHA256.NewClient("bench@example.org", "bench password", "")
	for b.Loop() {
		conv := cl.NewConversation()
		var creds Credentials
		srv := svc.NewSASLServer(ctx, scram.SHA256, nil, &creds)
		msg, _ := conv.Step("")
		for {
			ch, done, err := srv.Next([]byte(msg))
			if err != nil {
				b.Fatal(err)
			}
			if done {
				break
			}
			msg, _ = conv.Step(string(ch))
		}
		if _, err := creds.Check(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchService(b *testing.B) (*Service, context.Context) {
	ctx := context.Background()
	svc := New(newFakeDir(), Options{AuthCacheTTL: -1})
	if err := svc.AddDomain(ctx, "example.org"); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, "bench@example.org", "bench password"); err != nil {
		b.Fatal(err)
	}
	return svc, ctx
}
