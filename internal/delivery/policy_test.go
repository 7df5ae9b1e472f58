package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/store"
)

// headerPolicy is the test policy that proves the seam: it reads the
// metadata delivery parsed, files by X-Folder, rejects the recipient named
// by X-Reject with a typed 550, discards on X-Discard, and answers the
// sender on X-Vacation. It records what it saw.
type headerPolicy struct {
	mu   sync.Mutex
	seen []policyCall
	err  error
}

type policyCall struct {
	rcpt    string
	account store.AccountID
	meta    *msgmeta.Meta
	body    string
}

var policyRefusal = smtpreply.New(550, smtpreply.Enhanced{5, 7, 1}, "Refused by the recipient's rules")

func metaField(m *msgmeta.Meta, name string) string {
	for _, f := range m.Headers {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func (p *headerPolicy) Decide(_ context.Context, m *Message, rcpt Rcpt) (Action, error) {
	r, err := m.Open()
	if err != nil {
		return Action{}, err
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return Action{}, err
	}
	p.mu.Lock()
	p.seen = append(p.seen, policyCall{rcpt: rcpt.Addr.String(), account: rcpt.Account, meta: m.Meta, body: string(body)})
	p.mu.Unlock()
	if p.err != nil {
		return Action{}, p.err
	}
	var a Action
	if strings.EqualFold(metaField(m.Meta, "X-Reject"), rcpt.Addr.String()) {
		a.Reject = policyRefusal
	}
	if metaField(m.Meta, "X-Discard") != "" {
		a.Discard = true
	}
	a.Mailbox = metaField(m.Meta, "X-Folder")
	if metaField(m.Meta, "X-Vacation") != "" && !m.Envelope.From.IsZero() {
		a.Send = append(a.Send, Outgoing{
			Envelope: envelope.Envelope{Recipients: []envelope.Recipient{{Addr: m.Envelope.From}}},
			Body:     []byte("Subject: Away\r\n\r\nBack next week.\r\n")})
	}
	return a, nil
}

func withPolicies(f *fixture, ps ...Policy) { f.svc.cfg.Policies = ps }

// lmtp is an LMTP envelope: one reply per recipient.
func lmtp(t *testing.T, rcpts ...string) *envelope.Envelope {
	env := mx(t, rcpts...)
	env.Listener, env.Protocol, env.PerRecipient = "lmtp", "LMTP", true
	return env
}

// The policy files a message by a header into the account's folder (INBOX
// for an account without it), and sees the metadata that the store keeps:
// parsed once, by delivery, with the trace fields on top.
func TestPolicyFilesByHeader(t *testing.T) {
	f := newFixture(t)
	p := &headerPolicy{}
	withPolicies(f, p)
	lists, err := f.st.CreateMailbox(f.ctx, f.id("alice@example.org"), "Lists", store.UseNone)
	f.must(err)
	msg := "From: <s@remote.example>\r\nSubject: digest\r\nX-Folder: Lists\r\n\r\nHello.\r\n"
	if rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), msg); firstFailure(rs) != nil {
		t.Fatalf("replies %v", rs)
	}
	got := f.mailbox("alice@example.org", "Lists")
	if len(got) != 1 || len(f.inbox("alice@example.org")) != 0 || len(f.inbox("bob@example.org")) != 1 {
		t.Fatalf("alice Lists %d, INBOX %d; bob INBOX %d", len(got), len(f.inbox("alice@example.org")), len(f.inbox("bob@example.org")))
	}
	stored, err := f.st.Meta(f.ctx, lists.ID, got[0].UID)
	f.must(err)
	if len(p.seen) != 2 || p.seen[0].meta != p.seen[1].meta {
		t.Fatalf("policy calls %+v: want one per copy, on one parse", p.seen)
	}
	seen, _ := msgmeta.Marshal(p.seen[0].meta)
	kept, _ := msgmeta.Marshal(stored)
	raw := f.body(got[0])
	want, _ := msgmeta.Marshal(msgmeta.ParseBytes([]byte(raw)))
	if !bytes.Equal(seen, kept) || !bytes.Equal(kept, want) {
		t.Fatalf("policy saw\n%s\nstore kept\n%s\nparse of the stored octets\n%s", seen, kept, want)
	}
	if p.seen[0].body != raw || !strings.HasPrefix(raw, "Return-Path: <s@remote.example>\r\nReceived: ") {
		t.Fatalf("policy read %q, stored %q", p.seen[0].body, raw)
	}
}

// Over LMTP a policy refuses one recipient with its typed reply while
// the others get the message; over SMTP the one reply after DATA refuses
// the whole message and nothing is stored.
func TestPolicyRejectsOneRecipient(t *testing.T) {
	f := newFixture(t)
	withPolicies(f, &headerPolicy{})
	msg := "From: <s@remote.example>\r\nX-Reject: bob@example.org\r\n\r\nHello.\r\n"
	rs := f.deliverRaw(lmtp(t, "alice@example.org", "bob@example.org"), msg)
	if rs[0] != nil || rs[1] != policyRefusal {
		t.Fatalf("LMTP replies %v, %v: want alice delivered, bob %v", rs[0], rs[1], policyRefusal)
	}
	if len(f.inbox("alice@example.org")) != 1 || len(f.inbox("bob@example.org")) != 0 {
		t.Fatal("LMTP: alice must have the message, bob not")
	}
	rs = f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), msg)
	if rs[0] != policyRefusal || rs[1] != policyRefusal {
		t.Fatalf("SMTP replies %v, %v: want the refusal for both", rs[0], rs[1])
	}
	if len(f.inbox("alice@example.org")) != 1 || len(f.inbox("bob@example.org")) != 0 {
		t.Fatal("SMTP: a refused message was stored")
	}
}

// A discarded copy is accepted and not stored; a policy's message goes to
// the queue once the copy is delivered, not when it is refused.
func TestPolicyDiscardAndSend(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	withPolicies(f, &headerPolicy{})
	msg := "From: <s@remote.example>\r\nX-Discard: yes\r\n\r\nHello.\r\n"
	if rs := f.deliverRaw(lmtp(t, "alice@example.org"), msg); rs[0] != nil {
		t.Fatalf("discard: %v", rs[0])
	}
	if len(f.inbox("alice@example.org")) != 0 || len(q.msgs) != 0 {
		t.Fatalf("discarded: INBOX %d, queued %d", len(f.inbox("alice@example.org")), len(q.msgs))
	}
	msg = "From: <s@remote.example>\r\nX-Vacation: yes\r\nX-Reject: bob@example.org\r\n\r\nHello.\r\n"
	rs := f.deliverRaw(lmtp(t, "alice@example.org", "bob@example.org"), msg)
	if rs[0] != nil || rs[1] != policyRefusal {
		t.Fatalf("replies %v", rs)
	}
	if len(q.msgs) != 1 || !slices.Equal(q.msgs[0].rcpts, []string{"s@remote.example"}) ||
		q.msgs[0].body != "Subject: Away\r\n\r\nBack next week.\r\n" || q.msgs[0].env.ID == "" {
		t.Fatalf("queued %+v: want one reply to the sender, for alice only", q.msgs)
	}
}

// The chain: the DMARC quarantine sends the copy to Junk with $Junk, a
// later policy's folder replaces the mailbox (INBOX for an account
// without that folder) and the keyword stays.
func TestPolicyChain(t *testing.T) {
	f := newFixture(t)
	withChecker(f, msgauth.Junk, nil)
	withPolicies(f, QuarantineJunk{}, &headerPolicy{})
	_, err := f.st.CreateMailbox(f.ctx, f.id("alice@example.org"), "Lists", store.UseNone)
	f.must(err)
	if rs := f.deliverRaw(mx(t, "alice@example.org", "bob@example.org"), "X-Folder: Lists\r\n\r\nx\r\n"); firstFailure(rs) != nil {
		t.Fatal(rs)
	}
	lists, inbox := f.mailbox("alice@example.org", "Lists"), f.inbox("bob@example.org")
	if len(lists) != 1 || !slices.Contains(lists[0].Keywords, JunkKeyword) {
		t.Fatalf("alice Lists %+v: want the message, marked $Junk", lists)
	}
	if len(inbox) != 1 || !slices.Contains(inbox[0].Keywords, JunkKeyword) || len(f.mailbox("bob@example.org", "Junk")) != 0 {
		t.Fatalf("bob (no Lists) INBOX %+v: want the message, marked $Junk", inbox)
	}
}

// A policy's error refuses with a temporary error, never its text.
func TestPolicyErrorTempfails(t *testing.T) {
	f := newFixture(t)
	withPolicies(f, &headerPolicy{err: errors.New("sieve: script /home/alice exploded")})
	rs := f.deliverRaw(lmtp(t, "alice@example.org"), "Subject: x\r\n\r\nx\r\n")
	if rs[0] == nil || rs[0].Code != 451 || strings.Contains(rs[0].Text, "exploded") {
		t.Fatalf("reply %v", rs[0])
	}
	if len(f.inbox("alice@example.org")) != 0 {
		t.Fatal("stored despite the policy error")
	}
}

// A body that smtpd spooled to a file is parsed where it lies: delivering
// 32 MB from a spool file allocates a small fraction of that in the heap
// (the parse moved from the store to delivery; issue 11: 20 concurrent
// 49 MB messages took 536 MB of RSS when the parse read each body whole),
// and the metadata matches the stored octets.
func TestDeliverLargeSpooledBodyOutsideHeap(t *testing.T) {
	f := newFixture(t)
	p := &headerPolicy{}
	withPolicies(f, metaPolicy{p})
	const size = 32 << 20
	spool, err := os.Create(filepath.Join(t.TempDir(), "smtpd.eml"))
	f.must(err)
	defer spool.Close()
	w := io.MultiWriter(spool)
	_, err = io.WriteString(w, "Subject: big\r\n\r\n")
	f.must(err)
	line := []byte(strings.Repeat("z", 78) + "\r\n")
	for range size / len(line) {
		_, err = w.Write(line)
		f.must(err)
	}
	st, err := spool.Stat()
	f.must(err)
	env := mx(t, "alice@example.org")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rs := f.svc.Deliver(f.ctx, env, io.NewSectionReader(spool, 0, st.Size()), st.Size())
	runtime.ReadMemStats(&after)
	if rs[0] != nil {
		t.Fatal(rs[0])
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Fatalf("delivering %d MB allocated %d MB in the heap", size>>20, alloc>>20)
	}
	m := f.inbox("alice@example.org")[0]
	mb, err := f.st.Mailbox(f.ctx, f.id("alice@example.org"), "INBOX")
	f.must(err)
	stored, err := f.st.Meta(f.ctx, mb.ID, m.UID)
	f.must(err)
	blob, err := f.st.OpenBlob(f.ctx, m.Blob)
	f.must(err)
	defer blob.Close()
	raw, err := io.ReadAll(blob)
	f.must(err)
	got, _ := msgmeta.Marshal(stored)
	want, _ := msgmeta.Marshal(msgmeta.ParseBytes(raw))
	if !bytes.Equal(got, want) || stored.Envelope.Subject != "big" {
		t.Fatalf("stored metadata\n%.300s\nparse of the stored octets\n%.300s", got, want)
	}
}

// metaPolicy records the metadata without reading the body (the heap
// test must not count a policy's reads).
type metaPolicy struct{ p *headerPolicy }

func (m metaPolicy) Decide(_ context.Context, msg *Message, rcpt Rcpt) (Action, error) {
	m.p.seen = append(m.p.seen, policyCall{rcpt: rcpt.Addr.String(), meta: msg.Meta})
	return Action{}, nil
}

// The forged Authentication-Results fields that the checks drop are not in
// the metadata either, for a body in memory and one spooled to a file (the
// header up to the last of them is read, the rest parsed from the file).
func TestMetaWithoutForgedFields(t *testing.T) {
	for _, spooled := range []bool{false, true} {
		f := newFixture(t)
		withChecker(f, msgauth.Deliver, nil)
		p := &headerPolicy{}
		withPolicies(f, metaPolicy{p})
		msg := inboundMessage + strings.Repeat("line\r\n", 100)
		var body io.Reader = strings.NewReader(msg)
		if spooled {
			path := filepath.Join(t.TempDir(), "spool")
			f.must(os.WriteFile(path, []byte("lead\r\n"+msg), 0o600))
			file, err := os.Open(path)
			f.must(err)
			defer file.Close()
			body = io.NewSectionReader(file, 6, int64(len(msg)))
		}
		if rs := f.svc.Deliver(f.ctx, mx(t, "alice@example.org"), body, int64(len(msg))); rs[0] != nil {
			t.Fatal(rs[0])
		}
		raw := f.body(f.inbox("alice@example.org")[0])
		got, _ := msgmeta.Marshal(p.seen[0].meta)
		want, _ := msgmeta.Marshal(msgmeta.ParseBytes([]byte(raw)))
		if !bytes.Equal(got, want) || strings.Contains(raw, forged+"; dkim") {
			t.Fatalf("spooled %v: metadata\n%s\nparse of the stored octets %q\n%s", spooled, got, raw, want)
		}
	}
}

// mailboxFailure fails Mailboxes for one account.
type mailboxFailure struct {
	Store
	account store.AccountID
}

func (m mailboxFailure) Mailboxes(ctx context.Context, id store.AccountID) ([]store.Mailbox, error) {
	if id == m.account {
		return nil, errors.New("mailboxes: disk on fire")
	}
	return m.Store.Mailboxes(ctx, id)
}

// When the mailbox of one of a recipient's copies cannot be found, the
// recipient gets 451 and none of its copies is stored (a retry then
// cannot duplicate the others), while the other recipients are delivered.
func TestPolicyTargetFailureStoresNoCopy(t *testing.T) {
	f := newFixture(t)
	withPolicies(f, &headerPolicy{})
	f.svc.st = mailboxFailure{Store: f.st, account: f.id("bob@example.org")}
	env := lmtp(t, "team@example.org", "postmaster@example.org")
	rs := f.deliverRaw(env, "X-Folder: Lists\r\n\r\nx\r\n")
	if rs[0] == nil || rs[0].Code != 451 || rs[1] != nil {
		t.Fatalf("replies %v, %v: want 451 for team (alice and bob), 250 for postmaster", rs[0], rs[1])
	}
	if n := len(f.inbox("alice@example.org")); n != 0 {
		t.Fatalf("alice has %d messages: a copy of the refused recipient was stored", n)
	}
	if n := len(f.inbox("postmaster@example.org")); n != 1 {
		t.Fatalf("postmaster has %d messages, want 1", n)
	}
}
