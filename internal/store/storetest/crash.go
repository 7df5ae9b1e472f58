package storetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

const (
	crashEnv         = "PETREL_STORETEST_CRASH_CHILD"
	crashAccountsEnv = "PETREL_STORETEST_CRASH_ACCOUNTS"
)

// CrashChild must be called by the backend's TestMain before m.Run. In the
// child process that TestCrash starts it delivers messages from many
// goroutines, printing one "ACK" line per acknowledged delivery, until it is
// killed; it never returns there. Elsewhere it returns at once.
func CrashChild(b Backend) {
	inst := os.Getenv(crashEnv)
	if inst == "" {
		return
	}
	s, err := b.Open(inst)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: open:", err)
		os.Exit(3)
	}
	var accts []store.AccountID
	for _, f := range strings.Split(os.Getenv(crashAccountsEnv), ",") {
		id, _ := strconv.ParseInt(f, 10, 64)
		accts = append(accts, store.AccountID(id))
	}
	var mu sync.Mutex
	for w := 0; w < 16; w++ {
		go crashWorker(s, accts, w, &mu)
	}
	select {}
}

func randInt(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

func crashWorker(s store.Store, accts []store.AccountID, w int, mu *sync.Mutex) {
	for i := 0; ; i++ {
		size := 500 + randInt(8000)
		if randInt(10) == 0 {
			size = 300<<10 + randInt(100<<10) // large enough for a file blob
		}
		body := msg(fmt.Sprintf("w%d-%d", w, i), size)
		rand.Read(body[len(body)-64:]) // unique content
		targets := []store.Target{{Account: accts[randInt(len(accts))]}}
		if randInt(3) == 0 {
			targets = append(targets, store.Target{Account: accts[randInt(len(accts))], MailboxName: "Archive"})
		}
		res, err := s.Deliver(context.Background(), store.NewMessage{Body: bytes.NewReader(body)}, targets)
		if err != nil {
			continue
		}
		var lines strings.Builder
		for j, r := range res {
			if r.Err == nil {
				fmt.Fprintf(&lines, "ACK %d %d %d %s\n", targets[j].Account, r.Mailbox, r.UID, sum(body))
			}
		}
		mu.Lock()
		os.Stdout.WriteString(lines.String())
		mu.Unlock()
	}
}

type ack struct {
	account store.AccountID
	mailbox store.MailboxID
	uid     store.UID
	sum     string
}

// TestCrash starts a child process (the test binary itself, see CrashChild)
// that delivers from many goroutines, SIGKILLs it in the middle, and checks
// after reopening that every acknowledged delivery is present and intact and
// that the store is consistent and writable. It does this in two rounds on
// the same instance.
func TestCrash(t *testing.T, b Backend) {
	e := &env{t: t, b: b, instance: b.NewInstance(t), ctx: context.Background()}
	e.open()
	if err := e.s.AddDomain(e.ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, strconv.FormatInt(int64(e.account(fmt.Sprintf("u%d", i)).ID), 10))
	}
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	var acks []ack
	for round := 0; round < 2; round++ {
		acks = append(acks, runCrashChild(t, e.instance, strings.Join(ids, ","), 300+randInt(300))...)
		e.open()
		verifyAcks(t, e, acks)
		checkIndexed(t, e, acks)
		e.deliver(store.AccountID(mustInt(ids[0])), "", msg("after-crash", 100))
		if err := e.s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d acknowledged deliveries verified after 2 SIGKILLs", len(acks))
}

func mustInt(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }

func runCrashChild(t *testing.T, instance, accounts string, killAfter int) []ack {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+instance, crashAccountsEnv+"="+accounts)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	var acks []ack
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ACK %d %d %d %s", &a.account, &a.mailbox, &a.uid, &a.sum); err != nil {
			t.Fatalf("bad line from child: %q", sc.Text())
		}
		acks = append(acks, a)
		if !killed && len(acks) >= killAfter {
			cmd.Process.Kill() // SIGKILL: no cleanup runs in the child
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acks before it was killed", len(acks))
	}
	return acks
}

func verifyAcks(t *testing.T, e *env, acks []ack) {
	for _, a := range acks {
		ms, err := e.s.Messages(e.ctx, a.mailbox, a.uid, a.uid)
		if err != nil || len(ms) != 1 {
			t.Fatalf("acknowledged message %d/%d missing after crash: %v", a.mailbox, a.uid, err)
		}
		if got := sum(e.readBlob(ms[0].Blob)); got != a.sum {
			t.Fatalf("acknowledged message %d/%d corrupt after crash", a.mailbox, a.uid)
		}
		if _, err := e.s.Meta(e.ctx, a.mailbox, a.uid); err != nil {
			t.Fatalf("metadata of %d/%d: %v", a.mailbox, a.uid, err)
		}
	}
	accts, err := e.s.Accounts(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, acct := range accts {
		checkCounters(t, e, acct)
	}
}

// checkCounters verifies that the stored counters agree with the messages.
func checkCounters(t *testing.T, e *env, acct store.Account) {
	mbs, err := e.s.Mailboxes(e.ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	var n, size int64
	for _, mb := range mbs {
		ms := e.messages(mb.ID)
		var sz int64
		for _, m := range ms {
			sz += m.Size
			if m.UID >= mb.UIDNext {
				t.Fatalf("%s: UID %d not below UIDNEXT %d", mb.Name, m.UID, mb.UIDNext)
			}
		}
		if int64(len(ms)) != mb.Messages || sz != mb.Size {
			t.Fatalf("%s: counters %d/%d, actual %d/%d", mb.Name, mb.Messages, mb.Size, len(ms), sz)
		}
		n, size = n+int64(len(ms)), size+sz
	}
	if acct.Quota.UsedMessages != n || acct.Quota.UsedBytes != size {
		t.Fatalf("%s: quota usage %+v, actual %d messages %d bytes", acct.Address, acct.Quota, n, size)
	}
}
