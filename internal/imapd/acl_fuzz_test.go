package imapd

import (
	"bytes"
	"context"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// FuzzACLCommands runs sessions of the ACL commands (RFC 4314 §3) and
// of commands on shared mailboxes on arbitrary input, logged in as a
// grantee of bob's "Shared": the server must neither panic nor hang.
func FuzzACLCommands(f *testing.F) {
	for _, seed := range []string{
		"s SETACL INBOX anyone +lr\r\ng GETACL INBOX\r\nd DELETEACL INBOX anyone\r\n",
		"l LISTRIGHTS \"Other Users/bob@example.org/Shared\" anyone\r\nm MYRIGHTS \"Other Users/bob@example.org/Shared\"\r\n",
		"s SETACL Shared -bob@example.org lrz\r\ns SETACL {6+}\r\nShared \"\" \"\"\r\n",
		"s SELECT \"Other Users/bob@example.org/Shared\"\r\nf FETCH 1:* (FLAGS BODY[])\r\nx STORE 1 FLAGS (\\Seen)\r\ne EXPUNGE\r\n",
		"l LIST \"\" \"Other Users/*\" RETURN (MYRIGHTS STATUS (MESSAGES))\r\nc CREATE \"Other Users/bob@example.org/Shared/x\"\r\n",
		"r RENAME \"Other Users/bob@example.org/Shared\" \"Other Users/bob@example.org/Shared/y\"\r\nd DELETE \"Other Users/\"\r\n",
	} {
		f.Add([]byte(seed))
	}
	var acl ACLStore
	e := newEnv(f, func(_ *Config, d *Deps) {
		acl = d.Store.(*sqlite.Store)
		d.ACL = acl
	})
	owner := testkit.AddUser(f, e.auth, ownerUser, testPass)
	ctx := context.Background()
	mb, err := e.st.CreateMailbox(ctx, owner.ID, "Shared", store.UseNone)
	if err != nil {
		f.Fatal(err)
	}
	if err := acl.SetRights(ctx, mb.ID, e.acct.ID, "lrswia"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte("a LOGIN "+testUser+` "`+testPass+"\"\r\n"), data...)
		in = append(in, "\r\nz LOGOUT\r\n"...)
		runSession(t, e.srv, &memConn{r: bytes.NewReader(in)})
	})
}
