package imapd

import (
	"context"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

const (
	ownerUser = "bob@example.org"
	thirdUser = "carol@example.org"
	// sharedBox is bob's "Shared" as alice names it.
	sharedBox = `"Other Users/bob@example.org/Shared"`
)

// aclEnv is an env with shared mailboxes: alice (testUser) the grantee,
// bob the owner of "Shared" (one message, whose body holds secretWord),
// carol a third account.
type aclEnv struct {
	*env
	acl   ACLStore
	owner store.Account
}

const secretWord = "Zanzibarquux"

func newACLEnv(t *testing.T) *aclEnv {
	t.Helper()
	var acl ACLStore
	e := newEnv(t, func(_ *Config, d *Deps) {
		acl = d.Store.(*sqlite.Store)
		d.ACL = acl
	})
	a := &aclEnv{env: e, acl: acl}
	a.owner = testkit.AddUser(t, e.auth, ownerUser, testPass)
	testkit.AddUser(t, e.auth, thirdUser, testPass)
	if _, err := e.st.CreateMailbox(context.Background(), a.owner.ID, "Shared", store.UseNone); err != nil {
		t.Fatal(err)
	}
	a.deliverOwner("Shared", testMessage("confidential", secretWord+" plans"))
	return a
}

// deliverOwner delivers a message to bob's mailbox.
func (a *aclEnv) deliverOwner(mailbox, msg string) {
	a.t.Helper()
	res, err := a.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(msg)},
		[]store.Target{{Account: a.owner.ID, MailboxName: mailbox}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		a.t.Fatal(err)
	}
}

// grant sets alice's rights on bob's mailbox directly in the store.
func (a *aclEnv) grant(mailbox, rights string) {
	a.t.Helper()
	ctx := context.Background()
	mb, err := a.st.Mailbox(ctx, a.owner.ID, mailbox)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.acl.SetRights(ctx, mb.ID, a.acct.ID, rights); err != nil {
		a.t.Fatal(err)
	}
}

// loginAs dials and logs in as user.
func (a *aclEnv) loginAs(user string) *raw {
	r := a.dial()
	r.OK("a LOGIN " + user + ` "` + testPass + `"`)
	return r
}

// ownerFlags returns the flags of bob's message uid in mailbox.
func (a *aclEnv) ownerFlags(mailbox string, uid store.UID) (store.Flags, []string) {
	a.t.Helper()
	ctx := context.Background()
	mb, err := a.st.Mailbox(ctx, a.owner.ID, mailbox)
	if err != nil {
		a.t.Fatal(err)
	}
	msgs, err := a.st.Messages(ctx, mb.ID, uid, uid)
	if err != nil || len(msgs) != 1 {
		a.t.Fatalf("message %d of %s: %v %d", uid, mailbox, err, len(msgs))
	}
	return msgs[0].Flags, msgs[0].Keywords
}
