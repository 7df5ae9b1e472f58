package imapd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMbsyncInterop syncs a mailbox down with mbsync (Debian package
// isync), changes flags, moves and deletes messages in the local Maildir,
// syncs back up and checks the server's state.
func TestMbsyncInterop(t *testing.T) {
	if os.Getenv("PETREL_INTEROP") != "1" {
		t.Skip("set PETREL_INTEROP=1 to run this test")
	}
	bin, err := exec.LookPath("mbsync")
	if err != nil {
		t.Fatal("mbsync (Debian package isync) is required with PETREL_INTEROP=1")
	}
	needImapmsg(t)
	e := newEnv(t, nil)
	for _, s := range []string{"keep", "read", "move", "delete"} {
		e.deliver("", testMessage(s, "body of "+s), 0)
	}
	dir := t.TempDir()
	local := filepath.Join(dir, "mail")
	host, port, _ := strings.Cut(e.addr, ":")
	cfg := fmt.Sprintf(`IMAPAccount petrel
Host %s
Port %s
User %s
Pass "%s"
SSLType None
AuthMechs PLAIN

IMAPStore remote
Account petrel

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX Archive
Create Both
Expunge Both
SyncState *
`, host, port, testUser, testPass, local, local)
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		out, err := exec.Command(bin, "-c", cfgPath, "-a").CombinedOutput()
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	run()
	files := maildirFiles(t, filepath.Join(local, "INBOX"))
	if len(files) != 4 {
		t.Fatalf("after the first sync: %d local messages", len(files))
	}
	byName := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`Subject: (\w+)`).FindSubmatch(b)
		byName[string(m[1])] = f
	}
	// Mark one read, move one to Archive, delete one.
	read := byName["read"]
	if err := os.Rename(read, strings.TrimSuffix(read, ":2,")+":2,S"); err != nil {
		t.Fatal(err)
	}
	mv := byName["move"]
	base := regexp.MustCompile(`,U=\d+`).ReplaceAllString(filepath.Base(mv), "")
	if err := os.Rename(mv, filepath.Join(local, "Archive", "cur", base)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(byName["delete"]); err != nil {
		t.Fatal(err)
	}
	run()

	ctx := context.Background()
	inbox, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := e.st.Messages(ctx, inbox.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var live []store.Message
	for _, m := range msgs {
		if m.Flags&store.FlagDeleted == 0 {
			live = append(live, m)
		}
	}
	if len(live) != 2 {
		t.Fatalf("server INBOX: %d messages left, want 2", len(live))
	}
	seen := 0
	for _, m := range live {
		if m.Flags&store.FlagSeen != 0 {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("server INBOX: %d messages \\Seen, want 1", seen)
	}
	arch, err := e.st.Mailbox(ctx, e.acct.ID, "Archive")
	if err != nil || arch.Messages != 1 {
		t.Errorf("server Archive: %d messages, %v", arch.Messages, err)
	}
}

func maildirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			out = append(out, filepath.Join(dir, sub, e.Name()))
		}
	}
	return out
}
