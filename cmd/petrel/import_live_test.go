package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/mbox"
	"github.com/petrelmail/petrel/internal/testkit"
)

// writeLiveMbox writes n messages with the Message-IDs imp-I@example.net
// as an mbox file.
func writeLiveMbox(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	w := mbox.NewWriter(f)
	date := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		body := fmt.Sprintf("From: old@example.net\nTo: a@example.org\nSubject: imported %d\nMessage-ID: <imp-%d@example.net>\n\n%s",
			i, i, strings.Repeat("an old line of text\n", 20+i%80))
		must(t, w.Write(&mbox.Message{Date: date.Add(time.Duration(i) * time.Minute)}, strings.NewReader(body)))
	}
	must(t, w.Flush())
	must(t, f.Close())
}

var (
	liveExists = regexp.MustCompile(`^\* (\d+) EXISTS`)
	liveFetch  = regexp.MustCompile(`(?s)^\* \d+ FETCH \(.*UID (\d+).*EMAILID \(([^)]+)\).*Message-ID: <([^>]+)>`)
)

// TestImportWhileServing imports an mbox with `petrel import` into the
// INBOX of a running `petrel serve` (the binary) while SMTP deliveries
// go into the same INBOX and an IMAP client IDLEs on it: the client sees
// EXISTS, and afterwards every delivered and every imported message is
// there exactly once, with ascending UIDs and unique EmailIDs.
func TestImportWhileServing(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	const imported = 3000
	srv := newE2EServer(t, buildPetrel(t), false)
	imapAddr := testkit.FreeAddr(t)
	cfg, err := os.ReadFile(srv.config)
	must(t, err)
	text := strings.Replace(string(cfg), "imap = []", fmt.Sprintf("imap = [%q]", imapAddr), 1)
	must(t, os.WriteFile(srv.config, []byte(text+"[tls]\nallow_insecure_auth = true\n"), 0o644))
	srv.cli("", "domain", "add", "example.org")
	srv.addUsers("a@example.org")
	src := filepath.Join(t.TempDir(), "old.mbox")
	writeLiveMbox(t, src, imported)
	srv.start()
	defer srv.stop()

	idle := dialIMAP(t, imapAddr)
	idle.OK(`a LOGIN a@example.org e2e-password`)
	idle.OK(`b SELECT INBOX`)
	idle.Send("c IDLE\r\n")
	idle.Expect("+ ")

	var delivered atomic.Int32
	var total atomic.Int32 // set, with done, once the import and the deliveries ended
	var done atomic.Bool
	importDone := make(chan struct{})
	var importOut, importErr bytes.Buffer
	var importRunErr error
	go func() {
		defer close(importDone)
		cmd := exec.Command(srv.bin, "import", "a@example.org", src, "--format", "mbox", "--mailbox", "INBOX", "--config", srv.config)
		cmd.Stdout, cmd.Stderr = &importOut, &importErr
		importRunErr = cmd.Run()
	}()
	var sendErr atomic.Value
	send := func(id string) {
		msg := fmt.Sprintf("From: <s@client.test>\r\nTo: <a@example.org>\r\nSubject: live %s\r\nMessage-ID: <%s>\r\n\r\nnew mail\r\n", id, id)
		if err := e2eSend(srv.smtp, "client.test", "s@client.test", []string{"a@example.org"}, []byte(msg)); err != nil {
			sendErr.Store(err)
			return
		}
		delivered.Add(1)
	}
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-importDone:
					return
				default:
				}
				send(fmt.Sprintf("dlv-%d-%d@client.test", c, i))
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	go func() {
		wg.Wait()
		<-importDone
		// A last delivery after done is set, so that the IDLE reader
		// below sees an EXISTS after it can know the total.
		total.Store(delivered.Load() + imported + 1)
		done.Store(true)
		send("last@client.test")
	}()

	maxExists, updates := 0, 0
	for !done.Load() || maxExists < int(total.Load()) {
		l := idle.Response()
		if m := liveExists.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			maxExists = max(maxExists, n)
			updates++
		}
	}
	idle.Send("DONE\r\n")
	idle.Until("c")
	if importRunErr != nil {
		t.Fatalf("import: %v\n%s%s", importRunErr, importOut.String(), importErr.String())
	}
	if err := sendErr.Load(); err != nil {
		t.Fatalf("delivery: %v", err)
	}
	if !strings.Contains(importOut.String(), fmt.Sprintf("imported %d messages", imported)) {
		t.Fatalf("import output: %q", importOut.String())
	}
	t.Logf("%d messages delivered while %d were imported; the IDLE client saw %d EXISTS updates up to %d",
		delivered.Load(), imported, updates, maxExists)
	if delivered.Load() == 0 {
		t.Fatal("no delivery ran beside the import")
	}

	u := idle.OK(`d UID FETCH 1:* (UID EMAILID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])`)
	ids := map[string]int{}
	emailIDs := map[string]bool{}
	lastUID := 0
	for _, l := range u {
		m := liveFetch.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("FETCH response %q", l)
		}
		uid, _ := strconv.Atoi(m[1])
		if uid <= lastUID {
			t.Errorf("UID %d after UID %d", uid, lastUID)
		}
		lastUID = uid
		if emailIDs[m[2]] {
			t.Errorf("EMAILID %s twice", m[2])
		}
		emailIDs[m[2]] = true
		ids[m[3]]++
	}
	want := int(total.Load())
	if len(u) != want || len(ids) != want {
		t.Errorf("INBOX holds %d messages with %d Message-IDs, want %d", len(u), len(ids), want)
	}
	for i := range imported {
		if n := ids[fmt.Sprintf("imp-%d@example.net", i)]; n != 1 {
			t.Errorf("imported message %d is there %d times", i, n)
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s is there %d times", id, n)
		}
	}
}
