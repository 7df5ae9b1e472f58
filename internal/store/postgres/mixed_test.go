package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMixedWritesAcrossNodes: two nodes write to the same accounts at once
// (deliveries to several accounts in either order, flag changes, moves,
// expunges), which lock rows in overlapping sets: every call succeeds or
// fails cleanly (a lost deadlock is run again, not reported), and the
// counters and quotas agree with the messages afterwards.
func TestMixedWritesAcrossNodes(t *testing.T) {
	a, b, first := nodes(t)
	ctx := context.Background()
	accts := []store.AccountID{first.ID}
	for i := range 2 {
		acct, err := a.CreateAccount(ctx, fmt.Sprintf("m%d@example.org", i), "h")
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, acct.ID)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		s := []*Store{a, b}[w%2]
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 40 {
				x, y := accts[rnd.IntN(len(accts))], accts[rnd.IntN(len(accts))]
				res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg(fmt.Sprintf("m%d-%d", w, i)))},
					[]store.Target{{Account: x}, {Account: y, MailboxName: "Archive"}})
				if err != nil || res[0].Err != nil || res[1].Err != nil {
					t.Errorf("Deliver: %v %+v", err, res)
					return
				}
				d := res[rnd.IntN(2)]
				switch rnd.IntN(4) {
				case 0:
					_, err = s.StoreFlags(ctx, d.Mailbox, []store.UID{d.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
				case 1:
					acct := x
					if d == res[1] {
						acct = y
					}
					var trash store.Mailbox
					if trash, err = s.Mailbox(ctx, acct, "Trash"); err == nil {
						_, err = s.Move(ctx, d.Mailbox, []store.UID{d.UID}, trash.ID, store.FlagDrop{})
					}
				case 2:
					_, err = s.Expunge(ctx, d.Mailbox, []store.UID{d.UID})
				}
				if err != nil {
					t.Errorf("write %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, id := range accts {
		acct, err := a.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		mbs, err := a.Mailboxes(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var n, size int64
		for _, mb := range mbs {
			ms, err := a.Messages(ctx, mb.ID, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sz, unseen int64
			for _, m := range ms {
				sz += m.Size
				if m.Flags&store.FlagSeen == 0 {
					unseen++
				}
				if m.UID >= mb.UIDNext {
					t.Errorf("%s: UID %d not below UIDNEXT %d", mb.Name, m.UID, mb.UIDNext)
				}
			}
			if int64(len(ms)) != mb.Messages || sz != mb.Size || unseen != mb.Unseen {
				t.Errorf("%s of %s: counters %d/%d/%d unseen, actual %d/%d/%d", mb.Name, acct.Address, mb.Messages, mb.Size,
					mb.Unseen, len(ms), sz, unseen)
			}
			n, size = n+int64(len(ms)), size+sz
		}
		if acct.Quota.UsedMessages != n || acct.Quota.UsedBytes != size {
			t.Errorf("%s: quota usage %+v, actual %d messages %d octets", acct.Address, acct.Quota, n, size)
		}
	}
}
