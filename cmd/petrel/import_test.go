package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/maildir"
	"github.com/petrelmail/petrel/internal/mbox"
	"github.com/petrelmail/petrel/internal/store"
)

// writeSources writes the same n messages as a Maildir++ tree with a
// dovecot-uidlist (UIDs with gaps, flags, keywords, a subfolder) and as
// an mbox file, below dir.
func writeSources(t *testing.T, dir string, n int) (maildirRoot, mboxFile string) {
	t.Helper()
	maildirRoot, mboxFile = filepath.Join(dir, "Maildir"), filepath.Join(dir, "in.mbox")
	f, err := os.Create(mboxFile)
	if err != nil {
		t.Fatal(err)
	}
	mw := mbox.NewWriter(f)
	date := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, folder := range []string{"INBOX", "Lists/Go"} {
		w, err := maildir.NewWriter(maildirRoot, folder, 1600000000+uint32(len(folder)), uint32(3*n))
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			body := fmt.Sprintf("From: x%d@example.com\nSubject: message %d of %s\nMessage-ID: <%d.%s@example.com>\n\n%s\n",
				i, i, folder, i, strings.ReplaceAll(folder, "/", "."), strings.Repeat("line of text\n", 40+i%50))
			flags, kws := "", []string(nil)
			if i%3 == 0 {
				flags, kws = "S", []string{"$Forwarded"}
			}
			d := date.Add(time.Duration(i) * time.Minute)
			if _, err := w.Put(maildir.Message{UID: uint32(2*i + 1), Flags: flags, Keywords: kws, InternalDate: d,
				VirtualSize: int64(len(body) + strings.Count(body, "\n"))}, strings.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			if folder == "INBOX" {
				if err := mw.Write(&mbox.Message{Date: d, Flags: map[string]string{"S": "R"}[flags], Keywords: kws}, strings.NewReader(body)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return maildirRoot, mboxFile
}

// exportTree exports the account of e to dir and returns the files'
// names and contents (INBOX's, and every folder's with UIDs).
func exportTree(t *testing.T, e *env, format string) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	e.ok("", "export", "a@example.org", dir, "--format", format)
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	for name := range files {
		// The UIDVALIDITY of a mailbox the source does not have is the
		// store's own.
		if strings.HasSuffix(name, "dovecot-uidlist") && name != "dovecot-uidlist" && name != ".Lists.Go/dovecot-uidlist" {
			delete(files, name)
		}
	}
	return files
}

// TestImportKill9 kills petrel import (SIGKILL) in the middle, runs it
// again, and compares the account, exported, with that of one
// uninterrupted import: same messages, flags, keywords, dates and UIDs,
// nothing twice. About a minute on 2 cores: PETREL_HEAVY=1.
func TestImportKill9(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	bin := buildPetrel(t)
	maildirRoot, mboxFile := writeSources(t, t.TempDir(), 2500)
	for _, tc := range []struct{ name, source, format string }{
		{"maildir", maildirRoot, "maildir"},
		{"mbox", mboxFile, "mbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newAccount := func() *env {
				e := newEnv(t, "")
				e.ok("", "domain", "add", "example.org")
				e.ok("pw-1234567890\n", "user", "add", "a@example.org", "--password-stdin")
				return e
			}
			want := newAccount()
			r := want.ok("", "import", "a@example.org", tc.source)
			total := map[string]int{"maildir": 5000, "mbox": 2500}[tc.name]
			if !strings.Contains(r, fmt.Sprintf("imported %d messages", total)) {
				t.Fatalf("import printed %q", r)
			}
			e := newAccount()
			killed := false
			for delay := 300 * time.Millisecond; delay < 20*time.Second && !killed; delay += 400 * time.Millisecond {
				cmd := exec.Command(bin, "import", "a@example.org", tc.source, "--config", e.config)
				run := startBinary(t, cmd)
				time.Sleep(delay)
				cmd.Process.Signal(syscall.SIGKILL)
				<-run.exited
				used := usedMessages(t, e)
				if used == total {
					t.Fatalf("the import finished before the kill (%s): make the source bigger", delay)
				}
				killed = used > 0
			}
			if !killed {
				t.Fatal("no kill landed in the middle of the import")
			}
			r = e.ok("", "import", "a@example.org", tc.source)
			m := regexp.MustCompile(`imported (\d+) messages .*\((\d+) were there already`).FindStringSubmatch(r)
			if m == nil || atoi(m[1]) == 0 || atoi(m[2]) == 0 || atoi(m[1])+atoi(m[2]) != total {
				t.Fatalf("resumed import printed %q", r)
			}
			if got := usedMessages(t, e); got != total {
				t.Fatalf("%d messages after the resumed import, want %d", got, total)
			}
			format := tc.format
			got, wantFiles := exportTree(t, e, format), exportTree(t, want, format)
			if len(got) != len(wantFiles) {
				t.Fatalf("exported %d files, want %d", len(got), len(wantFiles))
			}
			for name, body := range wantFiles {
				if got[name] != body {
					t.Fatalf("exported file %s differs (got %d bytes, want %d)", name, len(got[name]), len(body))
				}
			}
		})
	}
}

// usedMessages reads the account's message count from petrel user quota.
func usedMessages(t *testing.T, e *env) int {
	t.Helper()
	out := e.ok("", "user", "quota", "a@example.org")
	m := regexp.MustCompile(`messages\t(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("user quota printed %q", out)
	}
	return atoi(m[1])
}

// TestImportUsage: bad invocations get a usage error, an unknown account
// a clear one, and a second import into an account while one runs too.
func TestImportUsage(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	for _, args := range [][]string{{"import"}, {"import", "a@example.org"}, {"export", "a@example.org"},
		{"import", "a@example.org", "x", "--format", "pst"}} {
		if r := e.run("", args...); r.code != exitUsage {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := e.run("", "import", "nobody@example.org", t.TempDir()); r.code != exitFail || !strings.Contains(r.stderr, "no account has the address") {
		t.Errorf("unknown account: exit %d, stderr %q", r.code, r.stderr)
	}
	// A second import into an account is refused while one runs (it
	// holds the account's import lease); an export is not.
	e.ok("pw\n", "user", "add", "a@example.org", "--password-stdin")
	st := e.openStore()
	ctx := context.Background()
	acct, err := st.LookupAddress(ctx, "a@example.org")
	must(t, err)
	lease, err := store.AcquireLease(ctx, st, importLeaseName(acct), "another import", time.Minute)
	if err != nil || lease == nil {
		t.Fatalf("AcquireLease = %v, %v", lease, err)
	}
	defer lease.Release(ctx)
	if r := e.run("", "import", "a@example.org", t.TempDir()); r.code != exitFail || !strings.Contains(r.stderr, "another import into a@example.org is running") {
		t.Errorf("beside another import: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.run("", "export", "a@example.org", t.TempDir()); r.code != 0 {
		t.Errorf("export beside an import: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestImportUIDsNeedServerStopped: with a server holding the data
// directory, a Maildir with dovecot-uidlist is imported with new UIDs,
// and the import says why; with none, the same import keeps the UIDs.
func TestImportUIDsNeedServerStopped(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "a@example.org", "--password-stdin")
	e.ok("pw\n", "user", "add", "b@example.org", "--password-stdin")
	root, _ := writeSources(t, t.TempDir(), 20)
	release, err := lockDataDir(e.dataDir) // as petrel serve holds it
	must(t, err)
	r := e.run("", "import", "a@example.org", root)
	release()
	if r.code != 0 || !strings.Contains(r.stderr, "petrel serve is running: the messages get new UIDs") ||
		!strings.Contains(r.stdout, "(0 were there already, 0 skipped; 0 mailboxes kept their UIDs)") {
		t.Fatalf("import beside a server: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = e.run("", "import", "b@example.org", root)
	if r.code != 0 || strings.Contains(r.stderr, "petrel serve is running") || strings.Contains(r.stdout, " 0 mailboxes kept their UIDs") {
		t.Fatalf("import without a server: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
