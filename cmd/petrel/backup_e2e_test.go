package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/backup"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// backupMessage is a message of about size bytes with Message-ID id.
func backupMessage(id, rcpt string, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <load@client.test>\r\nTo: <%s>\r\nSubject: backup %s\r\nMessage-ID: <%s>\r\n\r\n", rcpt, id, id)
	for b.Len() < size {
		fmt.Fprintf(&b, "%s: a line of the body at %d\r\n", id, b.Len())
	}
	return []byte(b.String())
}

// newBackupServer is a server (not started) of the heavy tests
// (PETREL_HEAVY=1) with accounts for users in example.org.
func newBackupServer(t *testing.T, users ...string) *e2eServer {
	requireEnv(t, "PETREL_HEAVY")
	s := newE2EServer(t, buildPetrel(t), false)
	s.cli("", "domain", "add", "example.org")
	s.addUsers(users...)
	return s
}

// TestBackupDuringDelivery backs up a running server while clients send
// mail, restores the backup into a new data directory, and checks that
// every message acknowledged (250) before the backup started is in it and
// that the restore's verification passed.
func TestBackupDuringDelivery(t *testing.T) {
	users := []string{"a@example.org", "b@example.org"}
	s := newBackupServer(t, users...)
	s.start()

	var mu sync.Mutex
	var acked []string // Message-IDs, in the order of their 250
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("c%d-%d@client.test", c, i)
				rcpt := users[i%len(users)]
				size := 2000
				if i%4 == 0 {
					size = 300 << 10 // a body file of its own
				}
				if err := e2eSend(s.smtp, "client.test", "load@client.test", []string{rcpt}, backupMessage(id, rcpt, size)); err != nil {
					t.Errorf("send %s: %v", id, err)
					return
				}
				mu.Lock()
				acked = append(acked, rcpt+" "+id)
				mu.Unlock()
			}
		}()
	}
	waitAcked := func(n int) {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			k := len(acked)
			mu.Unlock()
			if k >= n {
				return
			}
		}
		t.Fatalf("fewer than %d messages acknowledged", n)
	}
	waitAcked(40)
	dest := filepath.Join(t.TempDir(), "backup")
	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	out := s.cli("", "backup", dest)
	if !strings.Contains(out, "complete") {
		t.Fatalf("backup output:\n%s", out)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	// A second backup while mail keeps arriving: incremental.
	waitAcked(len(before) + during + 20)
	out2 := s.cli("", "backup", dest)
	close(stop)
	wg.Wait()
	s.stop()
	t.Logf("%d messages acknowledged before the backup, %d during it\n%s\n%s", len(before), during, out, out2)

	restored := filepath.Join(t.TempDir(), "restored")
	out = s.cli("", "restore", dest, restored)
	if !strings.Contains(out, "verified:") {
		t.Fatalf("restore output has no verification:\n%s", out)
	}
	if out := s.cli("", "backup", "verify", dest); !strings.Contains(out, "verified:") {
		t.Fatalf("backup verify:\n%s", out)
	}
	inboxes := e2eReadInboxes(t, restored, users)
	have := map[string]bool{}
	for addr, msgs := range inboxes {
		for _, m := range msgs {
			have[addr+" "+strings.Trim(m.messageID, "<>")] = true
		}
	}
	for _, k := range before {
		if !have[k] {
			t.Errorf("message %s, acknowledged before the backup, is not in the restored store", k)
		}
	}
	if _, err := os.Stat(filepath.Join(restored, "config", "petrel.toml")); err != nil {
		t.Errorf("the configuration was not restored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(restored, "tls")); err != nil {
		t.Errorf("the certificates were not restored: %v", err)
	}
}

// TestBackupKilledResumes kills a backup (SIGKILL) while it copies body
// files, runs it again, and compares the result with an uninterrupted
// backup of the same store: the same snapshot database, body files and
// manifest, nothing left of the killed run.
func TestBackupKilledResumes(t *testing.T) {
	s := newBackupServer(t, "a@example.org")
	s.start()
	for i := range 60 {
		id := fmt.Sprintf("m%d@client.test", i)
		if err := e2eSend(s.smtp, "client.test", "load@client.test", []string{"a@example.org"},
			backupMessage(id, "a@example.org", 280<<10)); err != nil {
			t.Fatal(err)
		}
	}
	s.stop() // a quiet store, for an exact comparison

	whole := filepath.Join(t.TempDir(), "whole")
	s.cli("", "backup", whole)
	resumed := filepath.Join(t.TempDir(), "resumed")
	cmd := exec.Command(s.bin, "backup", "--verbose", resumed, "--config", s.config)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// A one-page pipe that the test stops reading: the backup blocks on
	// its progress lines, so that it cannot finish before the kill.
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 4096); errno != 0 {
		t.Fatal(errno)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := bufio.NewScanner(r)
	copied := 0
	for copied < 10 && lines.Scan() {
		if strings.HasPrefix(lines.Text(), "copied ") {
			copied++
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err = cmd.Wait()
	r.Close()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the backup was not killed: %v (%d files copied)", err, copied)
	}
	if _, err := os.Stat(filepath.Join(resumed, "LATEST")); err == nil {
		t.Fatal("the killed backup wrote LATEST")
	}
	out := s.cli("", "backup", resumed)
	if !strings.Contains(out, "complete") {
		t.Fatalf("resumed backup:\n%s", out)
	}
	wantTree, wantManifest := backupTree(t, whole)
	gotTree, gotManifest := backupTree(t, resumed)
	if !slices.Equal(wantTree, gotTree) {
		t.Fatalf("the resumed backup's files differ:\n%v\n%v", wantTree, gotTree)
	}
	if p := backup.CompareSums(wantManifest.Mailboxes, gotManifest.Mailboxes); p != nil ||
		wantManifest.Database != gotManifest.Database || wantManifest.BlobFiles != gotManifest.BlobFiles || wantManifest.BlobFiles < 60 {
		t.Fatalf("manifests differ: %v\n%+v\n%+v", p, wantManifest, gotManifest)
	}
}

// backupTree lists a backup's files (the snapshot's name left out) with
// their sizes and SHA-256, and reads its manifest.
func backupTree(t *testing.T, dest string) ([]string, *backup.Manifest) {
	t.Helper()
	snap, err := backup.Snapshot(dest)
	if err != nil {
		t.Fatal(err)
	}
	var tree []string
	filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		rel = strings.Replace(rel, filepath.Base(snap), "SNAP", 1)
		if rel == "LATEST" || rel == "SNAP/manifest.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		tree = append(tree, fmt.Sprintf("%s %d %x", rel, len(b), sha256.Sum256(b)))
		return nil
	})
	m, err := backup.ReadManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	return tree, m
}

// TestBackupMemoryHeavy backs up a store of 100,000 small messages and
// 1,000 body files and bounds the backup's peak RSS (issue 20: under
// 200 MB whatever the size), then backs it up again (only what is new
// is copied) and restores it.
func TestBackupMemoryHeavy(t *testing.T) {
	s := newBackupServer(t, "a@example.org")
	ctx := context.Background()
	st := testkit.OpenStore(t, s.dataDir)
	id, err := st.LookupAddress(ctx, "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Mailbox(ctx, id, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 101_000; i += 500 {
		batch := make([]store.AppendMessage, 500)
		for j := range batch {
			size := 4000
			if i >= 100_000 {
				size = 300 << 10
			}
			batch[j] = store.AppendMessage{Body: strings.NewReader(string(backupMessage(fmt.Sprintf("m%d", i+j), "a@example.org", size)))}
		}
		if _, err := st.AppendBatch(ctx, id, inbox.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	t.Logf("generated 101,000 messages in %v", time.Since(start).Round(time.Millisecond))
	dest := filepath.Join(t.TempDir(), "backup")
	rss := func(out string) int {
		var n int
		i := strings.Index(out, "peak RSS ")
		if i < 0 {
			t.Fatalf("no peak RSS in:\n%s", out)
		}
		fmt.Sscanf(out[i:], "peak RSS %d MiB", &n)
		return n
	}
	for run := range 2 {
		start := time.Now()
		out := s.cli("", "backup", dest)
		last := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
		t.Logf("backup %d in %v: %s", run+1, time.Since(start).Round(time.Millisecond), last)
		if mib := rss(out); mib >= 200 {
			t.Errorf("backup %d: peak RSS %d MiB", run+1, mib)
		}
		if run == 1 && !strings.Contains(out, "1000 body files (0 new") {
			t.Errorf("the second backup copied body files again: %s", last)
		}
	}
	start = time.Now()
	out := s.cli("", "restore", dest, filepath.Join(t.TempDir(), "restored"))
	if !strings.Contains(out, "verified: 6 mailboxes, 101000 messages") {
		t.Fatalf("restore:\n%s", out)
	}
	t.Logf("restored and verified in %v", time.Since(start).Round(time.Millisecond))
}
