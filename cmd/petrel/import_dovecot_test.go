package main

import (
	"fmt"
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

// dovecotIMAP is Dovecot's imap binary (Debian's dovecot-imapd), run
// pre-authenticated on a socket pair: no server, no root configuration.
const dovecotIMAP = "/usr/lib/dovecot/imap"

// startDovecotIMAP runs Dovecot's imap for a user whose Maildir is below
// home and returns a client on it.
func startDovecotIMAP(t *testing.T, home string) *imapclient.Client {
	t.Helper()
	if _, err := os.Stat(dovecotIMAP); err != nil {
		t.Skipf("no %s (apt-get install dovecot-imapd)", dovecotIMAP)
	}
	dir := t.TempDir()
	conf := "mail_location = maildir:~/Maildir\nlog_path = /dev/stderr\nssl = no\n" +
		"base_dir = " + filepath.Join(dir, "run") + "\nstate_dir = " + filepath.Join(dir, "state") + "\n"
	if os.Getuid() == 0 {
		// Dovecot refuses mail access as root: it drops to the mail user.
		u, err := user.Lookup("mail")
		if err != nil {
			t.Skip("no mail user to run Dovecot as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		err = filepath.WalkDir(home, func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, uid, gid)
		})
		if err != nil {
			t.Fatal(err)
		}
		conf += "mail_uid = mail\nmail_gid = mail\nfirst_valid_uid = 1\n"
	}
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Pipes, not a socket: on a socket Dovecot's imap takes itself for
	// started by inetd and refuses.
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dovecotIMAP, "-c", confPath)
	cmd.Env = []string{"USER=testuser", "HOME=" + home}
	cmd.Stdin, cmd.Stdout = inR, outW
	var stderr testkit.LogBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	conn := &pipeConn{r: outR, w: inW}
	c := imapclient.New(conn, nil)
	t.Cleanup(func() {
		c.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("dovecot's log:\n%s", stderr.String())
		}
	})
	if err := c.WaitGreeting(); err != nil {
		t.Fatalf("dovecot imap: %v\n%s", err, stderr.String())
	}
	return c
}

// fillOverIMAP gives the account behind c folders (nested, non-ASCII),
// messages with flags, keywords, dates (with zones), one without a final
// newline, and UID gaps (an expunge, a move).
func fillOverIMAP(t *testing.T, c *imapclient.Client, sep string) {
	t.Helper()
	folders := []string{"Lists", "Lists" + sep + "Go", "Entwürfe", "Sent"}
	for _, f := range folders {
		if err := c.Create(f, nil).Wait(); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatalf("CREATE %s: %v", f, err)
		}
	}
	zone := time.FixedZone("", 2*3600)
	for fi, f := range append([]string{"INBOX"}, folders...) {
		for i := range 12 {
			body := fmt.Sprintf("From: a%d@example.com\r\nSubject: %s %d\r\nMessage-ID: <%d.%d@example.com>\r\n\r\nbody %d\r\n", i, f, i, fi, i, i)
			if i == 5 {
				body = strings.TrimSuffix(body, "\r\n") // no final newline
			}
			var flags []imap.Flag
			if i%2 == 0 {
				flags = append(flags, imap.FlagSeen)
			}
			if i%3 == 0 {
				flags = append(flags, imap.FlagFlagged, "$Forwarded", "work")
			}
			if i%4 == 1 {
				flags = append(flags, imap.FlagAnswered, imap.Flag("$Label"+strconv.Itoa(i%5)))
			}
			if i == 7 {
				flags = append(flags, imap.FlagDraft, imap.FlagDeleted)
			}
			date := time.Date(2023, 3, 1+i, 9, i, 0, 0, zone)
			cmd := c.Append(f, int64(len(body)), &imap.AppendOptions{Flags: flags, Time: date})
			cmd.Write([]byte(body))
			cmd.Close()
			if _, err := cmd.Wait(); err != nil {
				t.Fatalf("APPEND to %s: %v", f, err)
			}
		}
		if _, err := c.Select(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		// A gap: UID 3 expunged; UID 4's flags changed after APPEND.
		if err := c.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.UIDExpunge(imap.UIDSetNum(3)).Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Store(imap.UIDSetNum(4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"later"}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// migrationView is what a client synced to an account sees: every
// mailbox (the hierarchy written with "/") with its UIDVALIDITY and
// UIDNEXT, each message's UID, flags, keywords, INTERNALDATE and size.
func migrationView(t *testing.T, c *imapclient.Client) string {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	type box struct{ raw, name string }
	var boxes []box
	for _, l := range list {
		name := l.Mailbox
		if l.Delim != 0 && l.Delim != '/' {
			name = strings.ReplaceAll(name, string(l.Delim), "/")
		}
		boxes = append(boxes, box{l.Mailbox, name})
	}
	slices.SortFunc(boxes, func(a, b box) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	for _, mb := range boxes {
		sel, err := c.Select(mb.raw, nil).Wait()
		if err != nil {
			t.Fatalf("SELECT %s: %v", mb.raw, err)
		}
		if sel.NumMessages == 0 {
			continue // the default mailboxes of either side
		}
		fmt.Fprintf(&b, "%s uidvalidity %d uidnext %d\n", mb.name, sel.UIDValidity, sel.UIDNext)
		msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true,
			InternalDate: true, RFC822Size: true}).Collect()
		if err != nil {
			t.Fatalf("FETCH in %s: %v", mb.name, err)
		}
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				if f != `\Recent` {
					flags = append(flags, strings.ToLower(string(f)))
				}
			}
			slices.Sort(flags)
			fmt.Fprintf(&b, "  %d %v %s %d\n", m.UID, flags, m.InternalDate.UTC().Format(time.RFC3339), m.RFC822Size)
		}
	}
	return b.String()
}

// TestImportDovecotMaildir fills a Maildir through Dovecot's own IMAP,
// imports it, and checks that Petrel's IMAP shows the same folders,
// flags, keywords, dates, sizes, UIDVALIDITY and UIDs as Dovecot's: a
// client synced against Dovecot has nothing to download again; then
// exports it and checks that Dovecot serving the export shows the same.
func TestImportDovecotMaildir(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	// Not below t.TempDir(), whose parent only root may enter: Dovecot
	// works as the mail user.
	home, err := os.MkdirTemp("", "petrel-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	dc := startDovecotIMAP(t, home)
	fillOverIMAP(t, dc, ".")
	want := migrationView(t, dc)
	if !strings.Contains(want, "Lists/Go uidvalidity") || !strings.Contains(want, "Entwürfe uidvalidity") ||
		!strings.Contains(want, "$forwarded") {
		t.Fatalf("Dovecot's view lacks the filled mail:\n%s", want)
	}
	dc.Logout().Wait()

	addr := testkit.FreeAddr(t)
	e := newEnv(t, imapOnly(addr))
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	out := e.ok("", "import", "bob@example.org", filepath.Join(home, "Maildir"))
	if !strings.Contains(out, "imported 55 messages into 5 mailboxes") || !strings.Contains(out, "5 mailboxes kept their UIDs") {
		t.Fatalf("import printed %q", out)
	}

	// And back: Dovecot serving Petrel's export shows the same.
	home2, err := os.MkdirTemp("", "petrel-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home2) })
	e.ok("", "export", "bob@example.org", filepath.Join(home2, "Maildir"))
	if got := migrationView(t, startDovecotIMAP(t, home2)); got != want {
		t.Fatalf("Dovecot's IMAP view of Petrel's export differs:\nbefore:\n%s\nafter:\n%s", want, got)
	}

	serveInBackground(t, e)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob@example.org", "secret-pw").Wait(); err != nil {
		t.Fatal(err)
	}
	// go-imap sends names in UTF-8 to a server that offers UTF8=ACCEPT,
	// which takes them once enabled (RFC 6855 §3).
	if _, err := c.Enable(imap.CapUTF8Accept).Wait(); err != nil {
		t.Fatal(err)
	}
	if got := migrationView(t, c); got != want {
		t.Fatalf("Petrel's IMAP view differs from Dovecot's:\nDovecot:\n%s\nPetrel:\n%s", want, got)
	}
}

// pipeConn is a net.Conn on a child's standard output and input.
type pipeConn struct {
	r, w *os.File
}

func (p *pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeConn) Close() error {
	p.w.Close()
	return p.r.Close()
}
func (p *pipeConn) LocalAddr() net.Addr                { return &net.UnixAddr{Name: "dovecot", Net: "unix"} }
func (p *pipeConn) RemoteAddr() net.Addr               { return &net.UnixAddr{Name: "dovecot", Net: "unix"} }
func (p *pipeConn) SetDeadline(t time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(t time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(t time.Time) error { return nil }
