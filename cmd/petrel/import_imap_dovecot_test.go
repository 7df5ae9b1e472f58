package main

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/testkit"
)

// startDovecotServer runs Dovecot (the master, in the foreground) with a
// configuration in a temporary directory, IMAP on a free loopback port
// without TLS, one user "testuser" with password "pass"; it returns
// the IMAP address.
func startDovecotServer(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dovecot"); err != nil {
		t.Skip("no dovecot (apt-get install dovecot-imapd)")
	}
	if os.Getuid() != 0 {
		t.Skip("Dovecot's master wants root")
	}
	u, err := user.Lookup("mail")
	if err != nil {
		t.Skip("no mail user to run Dovecot as")
	}
	// Not below t.TempDir(), whose parent only root may enter.
	dir, err := os.MkdirTemp("", "petrel-dovecot-srv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	os.Chown(filepath.Join(dir, "mail"), uid, gid)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte("testuser:{PLAIN}pass::::::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testkit.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	conf := strings.NewReplacer("$D", dir, "$PORT", port, "$UID", u.Uid, "$GID", u.Gid).Replace(`
base_dir = $D/run
state_dir = $D/state
instance_name = petrel-import-test
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $UID
mail_location = maildir:~/Maildir
mail_uid = $UID
mail_gid = $GID
shutdown_clients = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $D/passwd
}
userdb {
  driver = static
  args = uid=$UID gid=$GID home=$D/mail/%n
}
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \Sent
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service imap-urlauth-login {
  unix_listener imap-urlauth {
    mode = 0
  }
}
`)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dovecot", "-F", "-c", confPath)
	run := startBinary(t, cmd)
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-run.exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-run.exited:
			t.Fatalf("dovecot exited: %v\n%s", run.err, run.log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("dovecot does not answer on %s:\n%s", addr, run.log.String())
	return ""
}

// TestImportIMAPDovecot imports from a running Dovecot over IMAP:
// Petrel's IMAP then shows Dovecot's folders, flags, keywords, dates,
// sizes, UIDVALIDITY and UIDs; then changes the source (new messages, a
// flag change, an expunge) and runs again: only the changes move.
func TestImportIMAPDovecot(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	addr := startDovecotServer(t)
	dc, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.Login("testuser", "pass").Wait(); err != nil {
		t.Fatal(err)
	}
	fillOverIMAP(t, dc, ".")
	if err := dc.Subscribe("Lists.Go").Wait(); err != nil {
		t.Fatal(err)
	}
	want := migrationView(t, dc)

	e := importTarget(t)
	run := func() string {
		return e.ok("pass\n", "import", "a@example.org", "imap://testuser@"+addr, "--insecure")
	}
	out := run()
	if m := importCounts.FindStringSubmatch(out); m == nil || m[1] != "55" || m[2] != "0" {
		t.Fatalf("first import printed %q", out)
	}
	if got := targetView(t, e); got != want {
		t.Fatalf("Petrel's view differs from Dovecot's:\nDovecot:\n%s\nPetrel:\n%s", want, got)
	}
	if _, subs := mailboxesOf(t, e); !slices.Contains(subs, "Lists/Go") {
		t.Fatalf("Dovecot's subscription of Lists.Go was not copied: %v", subs)
	}

	for i := range 3 {
		body := "Subject: new " + strconv.Itoa(i) + "\r\nMessage-ID: <new" + strconv.Itoa(i) + "@x>\r\n\r\nnew\r\n"
		cmd := dc.Append("Lists.Go", int64(len(body)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen, "$Label1"}})
		cmd.Write([]byte(body))
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := dc.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "todo"}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := dc.Store(imap.UIDSetNum(5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := dc.UIDExpunge(imap.UIDSetNum(5)).Close(); err != nil {
		t.Fatal(err)
	}
	want = migrationView(t, dc)
	out = run()
	if m := importCounts.FindStringSubmatch(out); m == nil || m[1] != "3" || m[2] != "0" ||
		!strings.Contains(out, "1 had their flags changed, 1 were expunged") {
		t.Fatalf("incremental import printed %q", out)
	}
	if got := targetView(t, e); got != want {
		t.Fatalf("Petrel's view differs from the changed Dovecot's:\nDovecot:\n%s\nPetrel:\n%s", want, got)
	}

	// A folder deleted on Dovecot: its mailbox is removed with
	// --delete-folders, since it holds only what the import brought.
	if err := dc.Delete("Lists.Go").Wait(); err != nil {
		t.Fatal(err)
	}
	out = e.ok("pass\n", "import", "a@example.org", "imap://testuser@"+addr, "--insecure", "--delete-folders")
	if !strings.Contains(out, `source folder "Lists.Go" (mailbox "Lists/Go") was deleted on the source: mailbox removed`) {
		t.Fatalf("import after a folder deletion printed %q", out)
	}
	if mbs, _ := mailboxesOf(t, e); slices.ContainsFunc(mbs, func(m string) bool { return strings.HasPrefix(m, "Lists/Go:") }) {
		t.Fatalf("Lists/Go is still there: %v", mbs)
	}
}
