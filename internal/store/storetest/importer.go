package storetest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// RunImporter checks store.Importer and store.Exporter: a populated
// store imported into an empty one, in pages of two, first interrupted
// after three messages and then run whole, twice, gives the same
// directory, mailboxes (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, special
// use, counts, subscriptions), messages (UID, MODSEQ, flags, keywords,
// internal date with its zone, EmailID, ThreadID, body), expunge logs,
// thread keys, queue and key/value entries; the runs after the first
// whole one add nothing. In the copy a delivery gets a UID above the
// imported ones, a MODSEQ above HIGHESTMODSEQ and a new EmailID, a reply
// to an imported message joins its thread, and a new mailbox a new
// UIDVALIDITY. A UID that holds another message is refused.
func RunImporter(t *testing.T, b Backend) {
	srcEnv, dstEnv := newEnv(t, b), newEnv(t, b)
	src, dst := srcEnv.s, dstEnv.s
	ctx := srcEnv.ctx
	populate(t, srcEnv)
	total := 0
	for _, m := range mustMailboxesAll(t, src) {
		total += int(m.Messages)
	}
	added := importAll(t, ctx, src, dst, 3)
	if added != 3 {
		t.Fatalf("interrupted import added %d messages, want 3", added)
	}
	added += importAll(t, ctx, src, dst, 0)
	if added != total {
		t.Fatalf("interrupted then whole import added %d messages, want %d", added, total)
	}
	sameStores(t, src, dst)
	if again := importAll(t, ctx, src, dst, 0); again != 0 {
		t.Fatalf("a second whole import added %d messages, want 0", again)
	}
	sameStores(t, src, dst)
	dstEnv.reopen()
	dst = dstEnv.s
	sameStores(t, src, dst)
	checkAfterImport(t, src, dst)
}

// rawMsg is a message with its own headers.
func rawMsg(headers string, bodyLen int) []byte {
	b := bytes.NewBufferString(headers + "From: a@example.com\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\n")
	for b.Len() < bodyLen {
		b.WriteString("All work and no play makes Jack a dull boy.\r\n")
	}
	return b.Bytes()
}

// populate fills a store with everything a copy must carry over.
func populate(t *testing.T, e *env) {
	s, ctx := e.s, e.ctx
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("AddDomain", s.AddDomain(ctx, "other.example"))
	alice, bob := e.account("alice"), e.account("bob")
	must("AddAddress", s.AddAddress(ctx, alice.ID, "al@other.example"))
	must("SetAlias", s.SetAlias(ctx, "team@example.org", []string{"alice@example.org", "bob@example.org"}))
	must("SetAlias catch-all", s.SetAlias(ctx, "@other.example", []string{"alice@example.org"}))
	must("SetQuota", s.SetQuota(ctx, alice.ID, 10<<20, 1000))
	_, err := s.CreateMailbox(ctx, alice.ID, "Work/Projects", store.UseNone)
	must("CreateMailbox", err)
	_, err = s.CreateMailbox(ctx, alice.ID, "Tmp", store.UseNone)
	must("CreateMailbox Tmp", err)
	must("DeleteMailbox Tmp", s.DeleteMailbox(ctx, alice.ID, "Tmp")) // raises the UIDVALIDITY counter
	must("SetSubscribed", s.SetSubscribed(ctx, alice.ID, "Gone/Elsewhere", true))
	must("SetSubscribed off", s.SetSubscribed(ctx, alice.ID, "Sent", false))

	e.deliver(alice.ID, "INBOX", rawMsg("Subject: root\r\nMessage-ID: <root@example.com>\r\n", 500))
	e.deliver(alice.ID, "INBOX", rawMsg("Subject: reply\r\nMessage-ID: <reply@example.com>\r\nIn-Reply-To: <root@example.com>\r\n", 700))
	for i := range 6 {
		e.deliver(alice.ID, "INBOX", msg("inbox"+string(rune('a'+i)), 300+100*i))
	}
	inbox := e.mailbox(alice.ID, "INBOX")
	_, err = s.StoreFlags(ctx, inbox.ID, []store.UID{1, 3, 4}, store.FlagChange{Op: store.FlagsAdd,
		Flags: store.FlagSeen | store.FlagFlagged, Keywords: []string{"$Forwarded", "Project-X"}})
	must("StoreFlags", err)
	_, err = s.StoreFlags(ctx, inbox.ID, []store.UID{5}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagDeleted})
	must("StoreFlags deleted", err)
	_, err = s.Expunge(ctx, inbox.ID, []store.UID{2, 5})
	must("Expunge", err)
	work := e.mailbox(alice.ID, "Work/Projects")
	_, err = s.Copy(ctx, inbox.ID, []store.UID{1, 3}, work.ID, store.FlagDrop{})
	must("Copy", err)
	_, err = s.Copy(ctx, inbox.ID, []store.UID{3}, inbox.ID, store.FlagDrop{}) // the same email ID twice in one mailbox
	must("Copy into itself", err)
	res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(msg("both", 900))}, []store.Target{
		{Account: alice.ID, MailboxName: "Work/Projects", Keywords: []string{"Shared"}}, {Account: bob.ID}})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("Deliver to two accounts: %v, %+v", err, res)
	}
	e.deliver(bob.ID, "INBOX", msg("big", 300<<10)) // a body kept as a file by SQLite
	sent := e.mailbox(alice.ID, "Sent")
	zone := time.FixedZone("", 5*3600+1800)
	_, err = s.AppendBatch(ctx, alice.ID, sent.ID, []store.AppendMessage{
		{Body: bytes.NewReader(msg("sent1", 400)), Flags: store.FlagSeen | store.FlagAnswered, InternalDate: time.Date(2025, 3, 4, 5, 6, 7, 0, zone)},
		{Body: bytes.NewReader(msg("sent2", 400)), Flags: store.FlagDraft, Keywords: []string{"$MDNSent"}}})
	must("AppendBatch", err)

	now := time.Now().Truncate(time.Millisecond)
	_, err = s.Enqueue(ctx, store.NewQueued{ID: "q1", Origin: "t1", From: "alice@example.org", EnvID: "env1", Ret: "HDRS",
		BodyType: "8BITMIME", RequireTLS: true, Arrived: now, Body: bytes.NewReader(msg("queued", 2000)), Rcpts: []store.QueuedRcpt{
			{Addr: "x@one.example", Domain: "one.example", Notify: []string{"FAILURE", "DELAY"}, ORcpt: "rfc822;x@one.example"},
			{Addr: "y@two.example", Domain: "two.example"}}})
	must("Enqueue", err)
	claimed, err := s.ClaimQueued(ctx, store.ClaimRequest{Owner: "n", Now: now, Lease: time.Minute, Limit: 1})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimQueued: %v, %d", err, len(claimed))
	}
	r0, r1 := claimed[0].Rcpts[0], claimed[0].Rcpts[1]
	r0.State, r0.Attempts, r0.NextAttempt, r0.LastAttempt = store.RcptDeferred, 1, now.Add(time.Hour), now
	r0.LastError, r0.Status, r0.RemoteMTA = "451 4.3.0 try later", "4.3.0", "mx.one.example"
	r1.State, r1.Attempts, r1.LastAttempt = store.RcptDelivered, 1, now
	must("ReleaseClaim", s.ReleaseClaim(ctx, "q1", "n", store.QueueChange{Rcpts: []store.QueuedRcpt{r0, r1}, DelayWarned: true}))
	must("KVStore", s.KVStore(ctx, "dkim/example.org/s1.pem", []byte("-----BEGIN PRIVATE KEY-----\n...")))
	must("KVStore empty", s.KVStore(ctx, "certs/empty", nil))
}

// importAll imports everything of src into dst in pages of two, as a copy
// would, and returns the number of messages added. With stop > 0 it stops
// (an interruption) once it added that many.
func importAll(t *testing.T, ctx context.Context, src, dst store.Store, stop int) int {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	c, err := src.Counters(ctx)
	must("Counters", err)
	must("ImportCounters", dst.ImportCounters(ctx, c))
	domains, err := src.Domains(ctx)
	must("Domains", err)
	for _, d := range domains {
		if err := dst.AddDomain(ctx, d); err != nil && !store.IsKind(err, store.KindExists) {
			t.Fatalf("AddDomain: %v", err)
		}
	}
	accts, err := src.Accounts(ctx)
	must("Accounts", err)
	added := 0
	for _, a := range accts {
		state, err := src.AccountState(ctx, a.ID)
		must("AccountState", err)
		id, err := dst.ImportAccount(ctx, a, state)
		must("ImportAccount", err)
		addrs, err := src.Addresses(ctx, a.ID)
		must("Addresses", err)
		for _, ad := range addrs[1:] {
			must("ImportAddress", dst.ImportAddress(ctx, id, ad))
		}
		for after := ""; ; {
			keys, err := src.ListThreadKeys(ctx, a.ID, after, 2)
			must("ListThreadKeys", err)
			if len(keys) == 0 {
				break
			}
			must("ImportThreadKeys", dst.ImportThreadKeys(ctx, id, keys))
			after = keys[len(keys)-1].Key
		}
		mbs, err := src.Mailboxes(ctx, a.ID)
		must("Mailboxes", err)
		for _, mb := range mbs {
			dmb, err := dst.ImportMailbox(ctx, id, mb)
			must("ImportMailbox", err)
			n := importMailbox(t, ctx, src, dst, mb.ID, id, dmb.ID, stop-added)
			if added += n; stop > 0 && added >= stop {
				return added
			}
			for after := store.UID(0); ; {
				log, err := src.ExpungeLog(ctx, mb.ID, after, 2)
				must("ExpungeLog", err)
				if len(log) == 0 {
					break
				}
				must("ImportExpunged", dst.ImportExpunged(ctx, dmb.ID, log))
				after = log[len(log)-1].UID
			}
		}
		subs, err := src.Subscriptions(ctx, a.ID)
		must("Subscriptions", err)
		must("ImportSubscriptions", dst.ImportSubscriptions(ctx, id, subs))
	}
	aliases, err := src.Aliases(ctx)
	must("Aliases", err)
	for addr, targets := range aliases {
		must("SetAlias", dst.SetAlias(ctx, addr, targets))
	}
	importQueueKV(t, ctx, src, dst)
	return added
}

// importMailbox imports the messages of one mailbox in pages of two,
// stopping once it added stop (> 0) of them.
func importMailbox(t *testing.T, ctx context.Context, src, dst store.Store, from store.MailboxID, acct store.AccountID, to store.MailboxID, stop int) int {
	t.Helper()
	added := 0
	for after := store.UID(0); ; {
		page, err := src.ListMessages(ctx, from, after, 2)
		if err != nil {
			t.Fatalf("ListMessages: %v", err)
		}
		if len(page) == 0 {
			return added
		}
		var uids []store.UID
		for _, m := range page {
			uids = append(uids, m.UID)
		}
		var batch []store.ImportMessage
		err = src.ReadMessages(ctx, from, uids, store.ReadHeaders|store.ReadBody, func(d *store.MessageData) error {
			body, err := io.ReadAll(d.Body)
			batch = append(batch, store.ImportMessage{UID: d.UID, ModSeq: d.ModSeq, Flags: d.Flags, Keywords: d.Keywords,
				InternalDate: d.InternalDate, EmailID: d.EmailID, ThreadID: d.ThreadID, SaveDate: d.SaveDate, Body: bytes.NewReader(body), Meta: d.Meta})
			return err
		})
		if err != nil {
			t.Fatalf("ReadMessages: %v", err)
		}
		if stop > 0 && len(batch) > stop-added {
			batch = batch[:stop-added]
		}
		res, err := dst.ImportMessages(ctx, acct, to, batch)
		if err != nil {
			t.Fatalf("ImportMessages: %v", err)
		}
		if res.Added+res.Present != len(batch) {
			t.Fatalf("ImportMessages = %+v for %d messages", res, len(batch))
		}
		added += res.Added
		if stop > 0 && added >= stop {
			return added
		}
		after = page[len(page)-1].UID
	}
}

// importQueueKV imports the queue and the key/value entries.
func importQueueKV(t *testing.T, ctx context.Context, src, dst store.Store) {
	t.Helper()
	queued, err := src.QueuedMessages(ctx)
	if err != nil {
		t.Fatalf("QueuedMessages: %v", err)
	}
	for _, q := range queued {
		bl, err := src.OpenBlob(ctx, q.Blob)
		if err != nil {
			t.Fatalf("OpenBlob: %v", err)
		}
		_, err = dst.ImportQueued(ctx, q, bl)
		bl.Close()
		if err != nil {
			t.Fatalf("ImportQueued: %v", err)
		}
	}
	infos, err := src.KVList(ctx, "")
	if err != nil {
		t.Fatalf("KVList: %v", err)
	}
	for _, info := range infos {
		v, err := src.KVLoad(ctx, info.Key)
		if err == nil {
			err = dst.ImportKV(ctx, info, v)
		}
		if err != nil {
			t.Fatalf("KV %s: %v", info.Key, err)
		}
	}
}
