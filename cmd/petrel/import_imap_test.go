package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/imapd"
	"github.com/petrelmail/petrel/internal/mailimport"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// imapServer serves st over IMAP on loopback: STARTTLS on plain, TLS on
// imaps, with a certificate for localhost in certPath.
type imapServer struct {
	plain, imaps, certPath string
	client                 *tls.Config
}

func serveIMAP(t *testing.T, st store.Store, dir string) imapServer {
	t.Helper()
	res, err := certs.Load(certs.Options{Hostname: "localhost", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	auth := testkit.Accounts(st, accounts.Options{HashConcurrency: 2})
	logs := &testkit.LogBuffer{}
	deps := imapd.Deps{Store: st, Auth: auth, Log: testkit.Logger(logs)}
	cfg := imapd.Config{TLS: res.Config, AllowInsecureAuth: true, SpoolDir: dir}
	plain := imapd.New(cfg, deps)
	cfg.ImplicitTLS, cfg.Name = true, "imaps"
	tlsSrv := imapd.New(cfg, deps)
	ln, tln := testkit.Listen(t), testkit.Listen(t)
	go plain.Serve(ln)
	go tlsSrv.Serve(tln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		plain.Shutdown(ctx)
		tlsSrv.Shutdown(ctx)
		if t.Failed() {
			t.Logf("IMAP server log:\n%s", logs.String())
		}
	})
	return imapServer{plain: ln.Addr().String(), imaps: tln.Addr().String(), certPath: res.CertPath,
		client: testkit.TrustCert(t, res.CertPath, "localhost")}
}

// login opens an IMAP session as user on the imaps listener.
func (s imapServer) login(t *testing.T, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.imaps, &imapclient.Options{TLSConfig: s.client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enable(imap.CapUTF8Accept).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// targetView is migrationView of the account of e, served by an IMAP
// server on its store for the time of the call.
func targetView(t *testing.T, e *env) string {
	t.Helper()
	st := e.openStore()
	defer st.Close()
	srv := serveIMAP(t, st, t.TempDir())
	c := srv.login(t, "a@example.org", "pw-1234567890")
	defer func() { c.Logout().Wait() }()
	return migrationView(t, c)
}

var importCounts = regexp.MustCompile(`imported (\d+) messages into \d+ mailboxes \((\d+) were there already`)

// TestImportIMAPIncremental imports an account from a live IMAP server
// (Petrel's own imapd on loopback, over TLS verified with --ca-file, the
// password on standard input): the same folders, flags, keywords, dates,
// UIDVALIDITY and UIDs; then changes the source (new messages, a flag
// change, an expunge) and runs again: only the changes move; then a
// folder of the source made again (a new UIDVALIDITY): nothing twice,
// nothing lost.
func TestImportIMAPIncremental(t *testing.T) {
	srcDir := t.TempDir()
	srcStore := testkit.OpenStore(t, srcDir)
	testkit.AddUser(t, testkit.Accounts(srcStore, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	srv := serveIMAP(t, srcStore, srcDir)
	sc := srv.login(t, "alice@example.net", "source-pw")
	fillOverIMAP(t, sc, "/")
	want := migrationView(t, sc)
	if !strings.Contains(want, "Lists/Go uidvalidity") || !strings.Contains(want, "$forwarded") {
		t.Fatalf("the source lacks the filled mail:\n%s", want)
	}

	e := importTarget(t)
	url := "imaps://alice%40example.net@" + strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	run := func() string {
		return e.ok("source-pw\n", "import", "a@example.org", url, "--ca-file", srv.certPath)
	}
	out := run()
	if m := importCounts.FindStringSubmatch(out); m == nil || m[1] != "55" || m[2] != "0" {
		t.Fatalf("first import printed %q", out)
	}
	if got := targetView(t, e); got != want {
		t.Fatalf("target differs from the source:\nsource:\n%s\ntarget:\n%s", want, got)
	}

	// Nothing changed: nothing moves.
	if out := run(); !strings.Contains(out, "imported 0 messages") || strings.Contains(out, "expunged") {
		t.Fatalf("second import printed %q", out)
	}

	// Change the source: 2 new messages, a flag change, an expunge.
	for i := range 2 {
		body := "Subject: new " + string(rune('a'+i)) + "\r\nMessage-ID: <new" + string(rune('a'+i)) + "@x>\r\n\r\nnew\r\n"
		cmd := sc.Append("INBOX", int64(len(body)), &imap.AppendOptions{Flags: []imap.Flag{"$Junk"}})
		cmd.Write([]byte(body))
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.Select("Lists/Go", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Store(imap.UIDSetNum(5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "urgent"}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Store(imap.UIDSetNum(6), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.UIDExpunge(imap.UIDSetNum(6)).Close(); err != nil {
		t.Fatal(err)
	}
	want = migrationView(t, sc)
	out = run()
	if m := importCounts.FindStringSubmatch(out); m == nil || m[1] != "2" || m[2] != "0" ||
		!strings.Contains(out, "1 had their flags changed, 1 were expunged") {
		t.Fatalf("incremental import printed %q", out)
	}
	if got := targetView(t, e); got != want {
		t.Fatalf("target differs from the changed source:\nsource:\n%s\ntarget:\n%s", want, got)
	}

	// The source's Entwürfe made again (a new UIDVALIDITY) with its
	// messages: the run finds them there already and copies nothing.
	if err := sc.Rename("Entwürfe", "Old", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Create("Entwürfe", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Select("Old", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Copy(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, "Entwürfe").Wait(); err != nil {
		t.Fatal(err)
	}
	out = run()
	// Old is new (11 messages); Entwürfe's 11 were there already.
	if m := importCounts.FindStringSubmatch(out); m == nil || m[1] != "11" || m[2] != "11" {
		t.Fatalf("import after a new UIDVALIDITY printed %q", out)
	}
	// And an expunge there reaches the target through the new map.
	if _, err := sc.Select("Entwürfe", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	// EXPUNGE takes the message filled with \Deleted too: 2 go.
	if err := sc.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	out = run()
	if !strings.Contains(out, "imported 0 messages") || !strings.Contains(out, "2 were expunged") {
		t.Fatalf("import after an expunge in a folder of new UIDVALIDITY printed %q", out)
	}
	// The same messages, Entwürfe with the UIDs the target gave them.
	renumber := regexp.MustCompile(`(?m)^(Entwürfe uidvalidity|  \d+ )(.*)$`)
	strip := func(view string) string {
		lines := strings.Split(view, "\n")
		in := false
		for i, l := range lines {
			if !strings.HasPrefix(l, " ") {
				in = strings.HasPrefix(l, "Entwürfe ")
			}
			if in {
				lines[i] = renumber.ReplaceAllString(l, "$2")
				if !strings.HasPrefix(l, " ") {
					lines[i] = "Entwürfe"
				}
			}
		}
		return strings.Join(lines, "\n")
	}
	if got, want := strip(targetView(t, e)), strip(migrationView(t, sc)); got != want {
		t.Fatalf("target differs from the source:\nsource:\n%s\ntarget:\n%s", want, got)
	}

	// Without CONDSTORE the flags of every message are compared; a
	// message over the size limit is skipped by its RFC822.SIZE.
	if _, err := sc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagAnswered}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	big := "Subject: big\r\n\r\n" + strings.Repeat("x", 2000) + "\r\n"
	cmd := sc.Append("INBOX", int64(len(big)), nil)
	cmd.Write([]byte(big))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	st := e.openStore()
	defer st.Close()
	acct, err := st.LookupAddress(context.Background(), "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	src := &mailimport.IMAPSource{Addr: strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1), TLS: srv.client,
		User: "alice@example.net", Password: "source-pw", MaxSize: 1000, NoCondStore: true}
	if err := src.Dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := mailimport.ImportIMAP(context.Background(), st, acct, src, mailimport.Options{}, mailimport.IMAPOptions{})
	if err != nil || rep.Updated != 1 || rep.Skipped != 1 || rep.Added != 0 || rep.Expunged != 0 {
		t.Fatalf("import without CONDSTORE: %+v, %v", rep, err)
	}
	inbox, err := st.Mailbox(context.Background(), acct, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := st.Messages(context.Background(), inbox.ID, 2, 2); err != nil || len(m) != 1 || m[0].Flags&store.FlagAnswered != 0 {
		t.Fatalf("INBOX UID 2 after the flag change: %+v, %v", m, err)
	}
}

// TestImportIMAPRefusals: the password never in the URL, TLS verified
// (no --ca-file: the test certificate is refused), a wrong password a
// clear error.
func TestImportIMAPRefusals(t *testing.T) {
	srcDir := t.TempDir()
	srcStore := testkit.OpenStore(t, srcDir)
	testkit.AddUser(t, testkit.Accounts(srcStore, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	srv := serveIMAP(t, srcStore, srcDir)
	e := importTarget(t)
	host := strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	if r := e.run("", "import", "a@example.org", "imaps://alice:pw@"+host); r.code != exitUsage || !strings.Contains(r.stderr, "does not go in the URL") {
		t.Errorf("password in the URL: exit %d, stderr %q", r.code, r.stderr)
	}
	r := e.run("source-pw\n", "import", "a@example.org", "imaps://alice%40example.net@"+host)
	if r.code != exitFail || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("unverified TLS: exit %d, stderr %q", r.code, r.stderr)
	}
	r = e.run("wrong\n", "import", "a@example.org", "imaps://alice%40example.net@"+host, "--ca-file", srv.certPath)
	if r.code != exitFail || !strings.Contains(r.stderr, "login") || strings.Contains(r.stderr+r.stdout, "wrong") {
		t.Errorf("wrong password: exit %d, stderr %q", r.code, r.stderr)
	}
	// imap:// with STARTTLS, the password from a file; the source's
	// \Sent folder goes into the target's \Sent mailbox, whatever its
	// name (RFC 6154).
	sc := srv.login(t, "alice@example.net", "source-pw")
	body := "Subject: sent\r\n\r\nsent\r\n"
	cmd := sc.Append("Sent", int64(len(body)), nil)
	cmd.Write([]byte(body))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	st := e.openStore()
	acct, err := st.LookupAddress(context.Background(), "a@example.org")
	if err == nil {
		err = st.RenameMailbox(context.Background(), acct, "Sent", "Gesendet")
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("source-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := strings.Replace(srv.plain, "127.0.0.1", "localhost", 1)
	out := e.ok("", "import", "a@example.org", "imap://alice%40example.net@"+plain, "--ca-file", srv.certPath, "--password-file", pwFile)
	if !strings.Contains(out, "imported 1 messages") {
		t.Errorf("STARTTLS import printed %q", out)
	}
	if view := targetView(t, e); !strings.HasPrefix(view, "Gesendet uidvalidity") || strings.Contains(view, "\nSent") {
		t.Errorf("the source's Sent did not go into the target's \\Sent mailbox:\n%s", view)
	}
}

// fillSource stores n messages of about 4 KiB in INBOX and n/2 in
// Archive/2024 of account, with flags and keywords, through the store.
func fillSource(t *testing.T, st store.Store, account store.AccountID, n int) {
	t.Helper()
	ctx := context.Background()
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name  string
		count int
	}{{"INBOX", n}, {"Archive/2024", n / 2}} {
		mb, err := st.Mailbox(ctx, account, f.name)
		if err != nil {
			if mb, err = st.CreateMailbox(ctx, account, f.name, store.UseNone); err != nil {
				t.Fatal(err)
			}
		}
		for start := 0; start < f.count; start += 200 {
			var batch []store.AppendMessage
			for i := start; i < min(start+200, f.count); i++ {
				body := fmt.Sprintf("From: s%d@example.com\r\nSubject: %s %d\r\nMessage-ID: <%d.%s@example.com>\r\n\r\n%s",
					i, f.name, i, i, strings.ReplaceAll(f.name, "/", "."), strings.Repeat("a line of text in the body\r\n", 100+i%80))
				m := store.AppendMessage{Body: strings.NewReader(body), InternalDate: date.Add(time.Duration(i) * time.Minute)}
				if i%3 == 0 {
					m.Flags, m.Keywords = store.FlagSeen, []string{"$Forwarded"}
				}
				batch = append(batch, m)
			}
			if _, err := st.AppendBatch(ctx, account, mb.ID, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestImportIMAPKill9 kills petrel import from an IMAP server (SIGKILL)
// in the middle, again and again, then lets it finish: the account
// shows the source's folders, UIDs, flags, keywords, dates and sizes,
// nothing twice. PETREL_HEAVY=1.
func TestImportIMAPKill9(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	bin := buildPetrel(t)
	srcDir := t.TempDir()
	srcStore := testkit.OpenStore(t, srcDir)
	acct := testkit.AddUser(t, testkit.Accounts(srcStore, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	const n = 3000
	fillSource(t, srcStore, acct.ID, n)
	srv := serveIMAP(t, srcStore, srcDir)
	want := migrationView(t, srv.login(t, "alice@example.net", "source-pw"))

	e := importTarget(t)
	url := "imaps://alice%40example.net@" + strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	kills := 0
	for delay := 400 * time.Millisecond; delay < 30*time.Second && kills < 3; delay += 500 * time.Millisecond {
		cmd := exec.Command(bin, "import", "a@example.org", url, "--ca-file", srv.certPath, "--config", e.config)
		cmd.Stdin = strings.NewReader("source-pw\n")
		run := startBinary(t, cmd)
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		<-run.exited
		used := usedMessages(t, e)
		if used == n+n/2 {
			break // finished before the kill
		}
		if used > 0 {
			kills++
		}
	}
	if kills == 0 {
		t.Fatal("no kill landed in the middle of the import")
	}
	out := e.ok("source-pw\n", "import", "a@example.org", url, "--ca-file", srv.certPath)
	if m := importCounts.FindStringSubmatch(out); m == nil || atoi(m[1]) == n+n/2 {
		t.Fatalf("resumed import printed %q", out)
	}
	t.Logf("after %d kills: %s", kills, out)
	if got := usedMessages(t, e); got != n+n/2 {
		t.Fatalf("%d messages after the resumed import, want %d", got, n+n/2)
	}
	if got := targetView(t, e); got != want {
		t.Fatalf("target differs from the source after %d kills", kills)
	}
	// And a run again moves nothing.
	if out := e.ok("source-pw\n", "import", "a@example.org", url, "--ca-file", srv.certPath); !strings.Contains(out, "imported 0 messages") {
		t.Fatalf("import after the end printed %q", out)
	}
}

// appendTo appends body to mailbox over c.
func appendTo(t *testing.T, c *imapclient.Client, mailbox, body string) {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(body)), nil)
	cmd.Write([]byte(body))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestImportIMAPAfterDelivery: mail delivered to the target between two
// runs takes the UIDs the source's next messages have; those are still
// copied (with new UIDs), and a source expunge removes only what the
// import brought, never the delivered message.
func TestImportIMAPAfterDelivery(t *testing.T) {
	srcDir := t.TempDir()
	srcStore := testkit.OpenStore(t, srcDir)
	testkit.AddUser(t, testkit.Accounts(srcStore, accounts.Options{HashConcurrency: 2}), "alice@example.net", "source-pw")
	srv := serveIMAP(t, srcStore, srcDir)
	sc := srv.login(t, "alice@example.net", "source-pw")
	appendTo(t, sc, "INBOX", "Subject: one\r\nMessage-ID: <1@x>\r\n\r\none\r\n")
	appendTo(t, sc, "INBOX", "Subject: two\r\nMessage-ID: <2@x>\r\n\r\ntwo\r\n")
	e := importTarget(t)
	url := "imaps://alice%40example.net@" + strings.Replace(srv.imaps, "127.0.0.1", "localhost", 1)
	run := func() string { return e.ok("source-pw\n", "import", "a@example.org", url, "--ca-file", srv.certPath) }
	if out := run(); !strings.Contains(out, "imported 2 messages") {
		t.Fatalf("first import printed %q", out)
	}
	// Delivered to the target: it takes UID 3.
	delivered := deliverLocal(t, e, "INBOX", "Subject: delivered\r\nMessage-ID: <d@x>\r\n\r\nd\r\n")
	if delivered.UID != 3 {
		t.Fatalf("delivery: %+v", delivered)
	}
	// The source's UID 3.
	appendTo(t, sc, "INBOX", "Subject: three\r\nMessage-ID: <3@x>\r\n\r\nthree\r\n")
	if out := run(); !strings.Contains(out, "imported 1 messages") {
		t.Fatalf("import after the delivery printed %q", out)
	}
	subjects := func() []string {
		st := e.openStore()
		defer st.Close()
		inbox := delivered.Mailbox
		msgs, err := st.Messages(context.Background(), inbox, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			meta, err := st.Meta(context.Background(), inbox, m.UID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s", m.UID, meta.Envelope.Subject))
		}
		return out
	}
	if got := strings.Join(subjects(), ", "); got != "1 one, 2 two, 3 delivered, 4 three" {
		t.Fatalf("target INBOX: %s", got)
	}
	// Expunge the source's UID 3 (three) and 1 (one).
	if _, err := sc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Store(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 1}, imap.UIDRange{Start: 3, Stop: 3}},
		&imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if out := run(); !strings.Contains(out, "2 were expunged") {
		t.Fatalf("import after the expunges printed %q", out)
	}
	if got := strings.Join(subjects(), ", "); got != "2 two, 3 delivered" {
		t.Fatalf("target INBOX after the expunges: %s", got)
	}
}
