package mailimport

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// account creates an account (with the default mailboxes) on st.
func account(t *testing.T, st store.Store, addr string) store.AccountID {
	t.Helper()
	ctx := context.Background()
	domain := addr[strings.IndexByte(addr, '@')+1:]
	if ok, _ := st.HasDomain(ctx, domain); !ok {
		if err := st.AddDomain(ctx, domain); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.CreateAccount(ctx, addr, "x")
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// edgeBodies are messages with the mbox edge cases: From-quoting at
// several depths, no final newline, a blank last line, a Status field of
// the body's.
var edgeBodies = []string{
	"Subject: quoting\r\nMessage-ID: <1@x>\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\n From not\r\n",
	"Subject: no final newline\r\nMessage-ID: <2@x>\r\n\r\nlast line",
	"Subject: blank last line\r\nMessage-ID: <3@x>\r\n\r\nx\r\n\r\n",
	"Subject: reply\r\nMessage-ID: <4@x>\r\nIn-Reply-To: <1@x>\r\n\r\nStatus: in the body\r\n",
	"Subject: same twice\r\nMessage-ID: <5@x>\r\n\r\nsame\r\n",
	"Subject: same twice\r\nMessage-ID: <5@x>\r\n\r\nsame\r\n",
}

// fill puts edgeBodies into INBOX and a nested mailbox with flags,
// keywords and dates, and expunges one (a UID gap).
func fill(t *testing.T, st store.Store, acct store.AccountID) {
	t.Helper()
	ctx := context.Background()
	date := time.Date(2022, 7, 1, 10, 0, 0, 0, time.UTC)
	for _, name := range []string{"INBOX", "Work/Project"} {
		mb, err := st.Mailbox(ctx, acct, name)
		if err != nil {
			if mb, err = st.CreateMailbox(ctx, acct, name, store.UseNone); err != nil {
				t.Fatal(err)
			}
		}
		var msgs []store.AppendMessage
		for i, b := range edgeBodies {
			m := store.AppendMessage{Body: strings.NewReader(b), InternalDate: date.Add(time.Duration(i) * time.Hour)}
			if i%2 == 0 {
				m.Flags = store.FlagSeen | store.FlagFlagged
				m.Keywords = []string{"$Forwarded", "work"}
			}
			if i == 3 {
				m.Flags = store.FlagAnswered | store.FlagDraft | store.FlagDeleted
			}
			msgs = append(msgs, m)
		}
		if _, err := st.AppendBatch(ctx, acct, mb.ID, msgs); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Expunge(ctx, mb.ID, []store.UID{2}); err != nil {
			t.Fatal(err)
		}
	}
}

// record is what a test compares of a message.
type record struct {
	UID      store.UID
	Flags    store.Flags
	Keywords string
	Date     int64
	Body     [32]byte
}

type snapshot struct {
	UIDValidity map[string]uint32
	Messages    map[string][]record
}

// snap reads every non-empty mailbox of the account.
func snap(t *testing.T, st store.Store, acct store.AccountID) snapshot {
	t.Helper()
	ctx := context.Background()
	mbs, err := st.Mailboxes(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{UIDValidity: map[string]uint32{}, Messages: map[string][]record{}}
	for _, mb := range mbs {
		msgs, err := st.Messages(ctx, mb.ID, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			continue
		}
		s.UIDValidity[mb.Name] = mb.UIDValidity
		uids := make([]store.UID, len(msgs))
		for i, m := range msgs {
			uids[i] = m.UID
		}
		err = st.ReadMessages(ctx, mb.ID, uids, store.ReadBody, func(d *store.MessageData) error {
			body := make([]byte, d.Body.Size())
			if _, err := d.Body.ReadAt(body, 0); err != nil {
				return err
			}
			s.Messages[mb.Name] = append(s.Messages[mb.Name], record{d.UID, d.Flags, strings.Join(d.Keywords, " "),
				d.InternalDate.Unix(), sha256.Sum256(body)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// sameMessages compares two snapshots, UIDs included or not.
func sameMessages(t *testing.T, got, want snapshot, uids bool) {
	t.Helper()
	if len(got.Messages) != len(want.Messages) {
		t.Fatalf("mailboxes: got %d %v, want %d %v", len(got.Messages), keys(got.Messages), len(want.Messages), keys(want.Messages))
	}
	for name, w := range want.Messages {
		g := got.Messages[name]
		if !uids {
			g, w = slices.Clone(g), slices.Clone(w)
			for i := range g {
				g[i].UID = 0
			}
			for i := range w {
				w[i].UID = 0
			}
		}
		if !slices.Equal(g, w) {
			t.Errorf("mailbox %s:\ngot  %v\nwant %v", name, g, w)
		}
		if uids && got.UIDValidity[name] != want.UIDValidity[name] {
			t.Errorf("mailbox %s: UIDVALIDITY %d, want %d", name, got.UIDValidity[name], want.UIDValidity[name])
		}
	}
}

func keys(m map[string][]record) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestMboxRoundTrip: export to mbox then import into another account is
// the original (flags, keywords, dates, bodies; new UIDs), and a second
// import adds nothing.
func TestMboxRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	a, b := account(t, st, "a@example.org"), account(t, st, "b@example.org")
	fill(t, st, a)
	dir := t.TempDir()
	rep, err := Export(ctx, st, a, dir, Mbox, nil)
	if err != nil || rep.Messages != 2*(len(edgeBodies)-1) {
		t.Fatalf("export: %v %+v", err, rep)
	}
	for range 2 {
		if _, err := Import(ctx, st, b, &MboxSource{Path: dir, MaxSize: 1 << 20}, Options{}); err != nil {
			t.Fatal(err)
		}
		sameMessages(t, snap(t, st, b), snap(t, st, a), false)
	}
}

// TestMaildirRoundTripKeepsUIDs: export to Maildir++ (dovecot-uidlist)
// then import keeps UIDVALIDITY and UIDs (with the gap of an expunge).
func TestMaildirRoundTripKeepsUIDs(t *testing.T) {
	ctx := context.Background()
	src, dst := testkit.NewStore(t), testkit.NewStore(t)
	a, b := account(t, src, "a@example.org"), account(t, dst, "a@example.org")
	fill(t, src, a)
	dir := t.TempDir()
	if _, err := Export(ctx, src, a, dir, Maildir, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		rep, err := Import(ctx, dst, b, &MaildirSource{Root: dir, MaxSize: 1 << 20}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := 2 * (len(edgeBodies) - 1)
		if i == 0 && (rep.Added != n || rep.KeptUIDs != rep.Folders) || i == 1 && (rep.Added != 0 || rep.Present != n) {
			t.Fatalf("run %d: %+v", i, rep)
		}
		sameMessages(t, snap(t, dst, b), snap(t, src, a), true)
	}
	// Threads: the reply joined its parent's thread.
	mb, _ := dst.Mailbox(ctx, b, "INBOX")
	msgs, _ := dst.Messages(ctx, mb.ID, 1, 0)
	if msgs[0].ThreadID != msgs[2].ThreadID || msgs[0].ThreadID == msgs[1].ThreadID {
		t.Errorf("threads %v %v %v", msgs[0].ThreadID, msgs[1].ThreadID, msgs[2].ThreadID)
	}
}

// TestInterruptedImportConverges: an import stopped after some batches
// and run again ends with the state of one run, with and without UIDs.
func TestInterruptedImportConverges(t *testing.T) {
	ctx := context.Background()
	src := testkit.NewStore(t)
	a := account(t, src, "a@example.org")
	fill(t, src, a)
	dir := t.TempDir()
	if _, err := Export(ctx, src, a, filepath.Join(dir, "maildir"), Maildir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, src, a, filepath.Join(dir, "mbox"), Mbox, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  func() Source
		uids bool
	}{
		{"maildir", func() Source { return &MaildirSource{Root: filepath.Join(dir, "maildir"), MaxSize: 1 << 20} }, true},
		{"maildir-new-uids", func() Source {
			return &MaildirSource{Root: filepath.Join(dir, "maildir"), MaxSize: 1 << 20, NoUIDs: true}
		}, false},
		{"mbox", func() Source { return &MboxSource{Path: filepath.Join(dir, "mbox"), MaxSize: 1 << 20} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := testkit.NewStore(t)
			b := account(t, dst, "a@example.org")
			stop := errors.New("stop")
			cut := &cutStore{Store: dst, after: 3, err: stop}
			if _, err := Import(ctx, cut, b, tc.src(), Options{BatchMessages: 2}); !errors.Is(err, stop) {
				t.Fatalf("cut import: %v", err)
			}
			if _, err := Import(ctx, dst, b, tc.src(), Options{BatchMessages: 2}); err != nil {
				t.Fatal(err)
			}
			sameMessages(t, snap(t, dst, b), snap(t, src, a), tc.uids)
		})
	}
}

// cutStore fails every batch write after the first after ones.
type cutStore struct {
	store.Store
	after int
	err   error
}

func (c *cutStore) cut() error {
	if c.after == 0 {
		return c.err
	}
	c.after--
	return nil
}

func (c *cutStore) ImportMessages(ctx context.Context, a store.AccountID, mb store.MailboxID, msgs []store.ImportMessage) (store.Imported, error) {
	if err := c.cut(); err != nil {
		return store.Imported{}, err
	}
	return c.Store.ImportMessages(ctx, a, mb, msgs)
}

func (c *cutStore) AppendBatch(ctx context.Context, a store.AccountID, mb store.MailboxID, msgs []store.AppendMessage) (store.Appended, error) {
	if err := c.cut(); err != nil {
		return store.Appended{}, err
	}
	return c.Store.AppendBatch(ctx, a, mb, msgs)
}

// TestImportOverQuota: the import stops at the first message the quota
// does not take, keeps what it stored, and completes once the quota is
// raised.
func TestImportOverQuota(t *testing.T) {
	ctx := context.Background()
	src := testkit.NewStore(t)
	a := account(t, src, "a@example.org")
	fill(t, src, a)
	dir := t.TempDir()
	if _, err := Export(ctx, src, a, dir, Maildir, nil); err != nil {
		t.Fatal(err)
	}
	dst := testkit.NewStore(t)
	b := account(t, dst, "a@example.org")
	if err := dst.SetQuota(ctx, b, 0, 3); err != nil {
		t.Fatal(err)
	}
	rep, err := Import(ctx, dst, b, &MaildirSource{Root: dir, MaxSize: 1 << 20}, Options{})
	if !errors.Is(err, ErrOverQuota) || rep.Added != 3 {
		t.Fatalf("over quota: %v %+v", err, rep)
	}
	if q, _ := dst.Quota(ctx, b); q.UsedMessages != 3 {
		t.Fatalf("used %d messages", q.UsedMessages)
	}
	if err := dst.SetQuota(ctx, b, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, dst, b, &MaildirSource{Root: dir, MaxSize: 1 << 20}, Options{}); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, snap(t, dst, b), snap(t, src, a), true)
}

func TestCRLFAndLF(t *testing.T) {
	for in, want := range map[string]string{"a\nb\r\nc\n": "a\r\nb\r\nc\r\n", "\n": "\r\n", "x": "x", "\r\n": "\r\n"} {
		if got := string(CRLF([]byte(in))); got != want {
			t.Errorf("CRLF(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"a\r\nb\r\n", "a\rb\r", "\r\r\n", strings.Repeat("x\r\n", 20000) + "\r"} {
		var b strings.Builder
		r := &lfReader{r: strings.NewReader(in)}
		buf := make([]byte, 7)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if want := strings.ReplaceAll(in, "\r\n", "\n"); b.String() != want {
			t.Errorf("lfReader(%.20q...) = %.20q..., want %.20q...", in, b.String(), want)
		}
	}
}
