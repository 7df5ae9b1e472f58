package imapd

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// needImapmsg skips tests that need message content while package imapmsg
// is still a stub.
func needImapmsg(t *testing.T) {
	if imapmsg.FlagsList(store.FlagSeen, nil, false) == "()" {
		t.Skip("imapmsg is not implemented yet")
	}
}

func (e *env) imapClient(opts *imapclient.Options) *imapclient.Client {
	e.t.Helper()
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.TLSConfig = e.client
	c, err := imapclient.DialStartTLS(e.addr, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestClientTLSAndCapabilities(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.AllowInsecureAuth = false })
	r := e.dial()
	u := r.OK("a CAPABILITY")
	if !has(u, "LOGINDISABLED") || has(u, "AUTH=") {
		t.Errorf("before TLS: %q", u)
	}
	_, tagged := r.Cmd("b LOGIN " + testUser + " x")
	if !strings.HasPrefix(tagged, "b NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN before TLS: %q", tagged)
	}
	c := e.imapClient(nil)
	caps := c.Caps()
	for _, want := range []imap.Cap{"IMAP4rev2", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "CREATE-SPECIAL-USE",
		"NAMESPACE", "ENABLE", "UNSELECT", "LITERAL+", "SASL-IR", "ID", "CHILDREN", "LIST-EXTENDED", "LIST-STATUS",
		"ESEARCH", "SEARCHRES", "STATUS=SIZE", "MULTIAPPEND", "BINARY", "CONDSTORE", "QRESYNC", "QUOTA", "UTF8=ACCEPT"} {
		if !caps.Has(want) {
			t.Errorf("missing capability %s in %v", want, caps)
		}
	}
	if _, ok := caps.AppendLimit(); !ok {
		t.Error("no APPENDLIMIT")
	}
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Personal) != 1 || ns.Personal[0].Delim != '/' {
		t.Errorf("NAMESPACE %+v %v", ns, err)
	}
	if id, err := c.ID(&imap.IDData{Name: "test"}).Wait(); err != nil || id.Name != "Petrel" {
		t.Errorf("ID %+v %v", id, err)
	}
}

func TestClientImplicitTLSAndAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	c, err := imapclient.DialTLS(e.tlsAddr, &imapclient.Options{TLSConfig: e.client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, "wrong").Wait(); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.logs.String(), testPass) {
		t.Error("password in the log")
	}
}

func TestClientMailboxes(t *testing.T) {
	e := newEnv(t, nil)
	c := e.imapClient(nil)
	if err := c.Create("Projects/2026/Q1", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Stuff", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Stuff", nil).Wait(); err == nil {
		t.Error("CREATE of an existing mailbox succeeded")
	}
	if err := c.Rename("Projects", "Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe("Work/2026").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, Size: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*imap.ListData{}
	for _, l := range list {
		got[l.Mailbox] = l
	}
	for _, name := range []string{"INBOX", "Work", "Work/2026", "Work/2026/Q1", "Stuff", "Sent", "Trash"} {
		if got[name] == nil {
			t.Errorf("LIST misses %s: %v", name, list)
		} else if got[name].Status == nil || got[name].Status.NumMessages == nil {
			t.Errorf("LIST-STATUS misses %s", name)
		}
	}
	if l := got["Work"]; l != nil && !hasAttr(l.Attrs, imap.MailboxAttrHasChildren) {
		t.Errorf("Work attrs %v", l.Attrs)
	}
	if l := got["Stuff"]; l != nil && !hasAttr(l.Attrs, imap.MailboxAttrFlagged) {
		t.Errorf("Stuff attrs %v", l.Attrs)
	}
	subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	subNames := map[string]bool{}
	for _, l := range subs {
		subNames[l.Mailbox] = hasAttr(l.Attrs, imap.MailboxAttrSubscribed)
	}
	if err != nil || !subNames["Work/2026"] || len(subNames) != len(subs) {
		t.Errorf("LIST (SUBSCRIBED): %v %v", subNames, err)
	}
	if _, ok := subNames["Work"]; ok {
		t.Errorf("LIST (SUBSCRIBED) lists an unsubscribed mailbox: %v", subNames)
	}
	special, err := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if err != nil || len(special) != 6 {
		t.Errorf("LIST (SPECIAL-USE): %d %v", len(special), err)
	}
	if err := c.Delete("Stuff").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("INBOX").Wait(); err == nil {
		t.Error("DELETE INBOX succeeded")
	}
	if _, err := c.Status("Stuff", &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
		t.Error("STATUS of a deleted mailbox succeeded")
	}
	e.deliver("", testMessage("q", "x"), 0)
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true,
		NumUnseen: true, NumDeleted: true, Size: true, HighestModSeq: true, AppendLimit: true}).Wait()
	if err != nil || *st.NumMessages != 1 || *st.NumUnseen != 1 || st.UIDNext != 2 || *st.Size == 0 || st.HighestModSeq == 0 {
		t.Errorf("STATUS %+v %v", st, err)
	}
	q, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil || len(q) != 1 {
		t.Errorf("GETQUOTAROOT %v %v", q, err)
	}
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if strings.EqualFold(string(x), string(a)) {
			return true
		}
	}
	return false
}

func TestClientMessages(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	c := e.imapClient(nil)
	msg := testMessage("hello", "body text")
	ap := c.Append("INBOX", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft}})
	ap.Write([]byte(msg))
	ap.Close()
	ad, err := ap.Wait()
	if err != nil || ad.UID != 1 || ad.UIDValidity == 0 {
		t.Fatalf("APPEND %+v %v", ad, err)
	}
	e.deliver("", testMessage("second", "more"), 0)
	sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil || sel.NumMessages != 2 || sel.HighestModSeq == 0 {
		t.Fatalf("SELECT %+v %v", sel, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true,
		InternalDate: true, Envelope: true, ModSeq: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("FETCH %v %v", msgs, err)
	}
	if msgs[0].Envelope == nil || msgs[0].Envelope.Subject != "hello" || !hasFlag(msgs[0].Flags, imap.FlagDraft) {
		t.Errorf("FETCH 1: %+v", msgs[0])
	}
	if string(msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true})) != msg {
		t.Errorf("BODY[] differs")
	}
	// STORE, conditional STORE.
	if _, err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	// COPY and MOVE with COPYUID.
	cp, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait()
	if err != nil || cp.DestUIDs.String() != "1" {
		t.Errorf("COPY %+v %v", cp, err)
	}
	mv, err := c.Move(imap.SeqSetNum(2), "Trash").Wait()
	if err != nil || mv.DestUIDs.String() != "1" {
		t.Errorf("MOVE %+v %v", mv, err)
	}
	if n := c.Mailbox().NumMessages; n != 1 {
		t.Errorf("after MOVE: %d messages", n)
	}
	// EXPUNGE.
	if _, err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	exp, err := c.Expunge().Collect()
	if err != nil || len(exp) != 1 || exp[0] != 1 {
		t.Errorf("EXPUNGE %v %v", exp, err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

// TestTwoSessions: one session IDLEs while another changes the mailbox
// and a delivery arrives; the changes reach the idler within a second.
func TestTwoSessionsIdle(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("a", "1"), 0)
	e.deliver("", testMessage("b", "2"), 0)
	var mu sync.Mutex
	var exists []uint32
	var expunged []uint32
	var flagged int
	notify := make(chan struct{}, 16)
	h := &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) { mu.Lock(); expunged = append(expunged, seq); mu.Unlock(); notify <- struct{}{} },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				mu.Lock()
				exists = append(exists, *d.NumMessages)
				mu.Unlock()
				notify <- struct{}{}
			}
		},
		Fetch: func(m *imapclient.FetchMessageData) {
			for m.Next() != nil {
			}
			mu.Lock()
			flagged++
			mu.Unlock()
			notify <- struct{}{}
		},
	}
	idler := e.imapClient(&imapclient.Options{UnilateralDataHandler: h})
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-notify:
		case <-time.After(time.Second):
			t.Fatalf("%s not seen within 1s", what)
		}
	}
	other := e.imapClient(nil)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	e.deliver("", testMessage("c", "3"), 0)
	wait("EXISTS after a delivery")
	if _, err := other.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	wait("FETCH FLAGS after STORE")
	if _, err := other.Expunge().Collect(); err != nil {
		t.Fatal(err)
	}
	wait("EXPUNGE")
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(exists) == 0 || exists[len(exists)-1] != 3 || len(expunged) != 1 || expunged[0] != 1 || flagged == 0 {
		t.Errorf("exists %v expunged %v flag updates %d", exists, expunged, flagged)
	}
	if n := idler.Mailbox().NumMessages; n != 2 {
		t.Errorf("idler sees %d messages", n)
	}
}
