package imapd

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// TestMetadataRaw: GETMETADATA and SETMETADATA edge cases of RFC 5464 on
// the wire.
func TestMetadataRaw(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) {
		c.MetadataAdmin = "mailto:postmaster@example.org"
		c.MetadataMaxSize = 100
		c.MetadataMaxEntries = 4
		c.MetadataMaxAccountBytes = 400
	})
	r := e.login()
	if !has(r.OK("c CAPABILITY"), " METADATA") {
		t.Fatal("CAPABILITY lacks METADATA")
	}
	// Server entries: /shared/admin from the configuration, read-only.
	r.exact(`g1 GETMETADATA "" /shared/admin`, "OK", `* METADATA "" (/shared/admin "mailto:postmaster@example.org")`)
	r.exact(`g2 GETMETADATA "" (/shared/comment /private/vendor/x)`, "OK", `* METADATA "" (/shared/comment NIL /private/vendor/x NIL)`)
	r.status(`s1 SETMETADATA "" (/shared/comment "mine")`, "NO [NOPERM]")
	r.OK(`s2 SETMETADATA "" (/private/vendor/x "1")`)
	r.exact(`g3 GETMETADATA "" /private/vendor/X`, "OK", `* METADATA "" (/private/vendor/x "1")`)

	// Mailbox entries: set several at once, a literal and a literal8 value.
	r.OK(`s3 SETMETADATA INBOX (/private/comment "My inbox" /shared/vendor/color "#ff0000")`)
	r.Send("s4 SETMETADATA INBOX (/private/vendor/bin ~{3+}\r\n")
	r.Send("a\x00b /private/vendor/lit {5+}\r\n")
	r.Send("hello)\r\n")
	if _, tagged := r.Until("s4"); !strings.HasPrefix(tagged, "s4 OK") {
		t.Fatalf("SETMETADATA with literal8: %q", tagged)
	}
	r.exact(`g4 GETMETADATA INBOX (/private/comment /shared/vendor/color)`, "OK",
		`* METADATA INBOX (/private/comment "My inbox" /shared/vendor/color "#ff0000")`)
	u, _ := r.Cmd(`g5 GETMETADATA INBOX /private/vendor/bin`)
	if strings.Join(u, "\n") != "* METADATA INBOX (/private/vendor/bin ~{3}\r\na\x00b)" {
		t.Errorf("NUL value: %q", u)
	}
	// DEPTH 1 and infinity; MAXSIZE leaves long values out.
	r.OK(`s5 SETMETADATA INBOX (/private/vendor/a/b "deep" /private/vendor/bin NIL)`)
	r.exact(`g6 GETMETADATA (DEPTH 1) INBOX /private/vendor`, "OK",
		`* METADATA INBOX (/private/vendor NIL /private/vendor/lit "hello")`)
	r.exact(`g7 GETMETADATA INBOX (DEPTH infinity MAXSIZE 4) /private/vendor`, "OK [METADATA LONGENTRIES 5]",
		`* METADATA INBOX (/private/vendor NIL /private/vendor/a/b "deep")`)
	// Limits: a value over MAXSIZE, a fifth entry, the account's octets.
	r.status(`s6 SETMETADATA INBOX (/private/vendor/big "`+strings.Repeat("x", 101)+`")`, "NO [METADATA MAXSIZE 100]")
	r.status(`s7 SETMETADATA INBOX (/private/vendor/e5 "5")`, "NO [METADATA TOOMANY]")
	r.exact(`g8 GETMETADATA INBOX /private/vendor/e5`, "OK", `* METADATA INBOX (/private/vendor/e5 NIL)`)
	r.OK(`c1 CREATE Box`)
	r.OK(`s8 SETMETADATA Box (/private/vendor/a "` + strings.Repeat("y", 100) + `" /private/vendor/b "` + strings.Repeat("y", 100) + `")`)
	r.status(`s9 SETMETADATA Box (/private/vendor/c "`+strings.Repeat("z", 100)+`")`, "NO [METADATA TOOMANY]")
	// Removing is always allowed; all or nothing.
	r.status(`s10 SETMETADATA Box (/private/vendor/a NIL /shared/vendor/q "`+strings.Repeat("q", 101)+`")`, "NO [METADATA MAXSIZE")
	r.exact(`g9 GETMETADATA Box /private/vendor/a`, "OK", `* METADATA Box (/private/vendor/a "`+strings.Repeat("y", 100)+`")`)

	// SPECIAL-USE by METADATA (RFC 6154 §4), read-only.
	r.exact(`g10 GETMETADATA Sent /private/specialuse`, "OK", `* METADATA Sent (/private/specialuse "\\Sent")`)
	r.status(`s11 SETMETADATA Sent (/private/specialuse "\\Trash")`, "NO [NOPERM]")

	// RENAME keeps the entries; DELETE removes them with the mailbox.
	r.OK(`r1 RENAME Box Box2`)
	r.exact(`g11 GETMETADATA Box2 /private/vendor/b`, "OK", `* METADATA Box2 (/private/vendor/b "`+strings.Repeat("y", 100)+`")`)
	r.OK(`d1 DELETE Box2`)
	r.OK(`c2 CREATE Box2`)
	r.exact(`g12 GETMETADATA Box2 /private/vendor/b`, "OK", `* METADATA Box2 (/private/vendor/b NIL)`)
	r.status(`g13 GETMETADATA Nope /private/comment`, "NO [NONEXISTENT]")

	// Syntax: bad entry names and options are BAD, nothing set.
	for _, bad := range []string{
		`SETMETADATA INBOX (/other/x "1")`, `SETMETADATA INBOX (/private/x/ "1")`, `SETMETADATA INBOX (/private//x "1")`,
		`SETMETADATA INBOX (/private/x* "1")`, `SETMETADATA INBOX (/private/x)`, `SETMETADATA INBOX ()`,
		`SETMETADATA INBOX (/private/x foo)`, `GETMETADATA (DEPTH 2) INBOX /private/x`, `GETMETADATA (FOO 1) INBOX /private/x`,
		`GETMETADATA INBOX ()`, `GETMETADATA INBOX`, `GETMETADATA (DEPTH 1 DEPTH 0) INBOX /private/x`,
		`GETMETADATA INBOX /private/%`, `SETMETADATA INBOX (/private "1")`,
	} {
		r.status("b "+bad, "BAD")
	}
}

// TestMetadataClient: go-imap v2's imapclient sets, reads and removes
// entries (its GETMETADATA puts the options after the mailbox).
func TestMetadataClient(t *testing.T) {
	e := newEnv(t, nil)
	c := e.imapClient(nil)
	defer c.Close()
	if !c.Caps().Has("METADATA") {
		t.Fatal("no METADATA capability")
	}
	val := []byte("blue")
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/vendor/color": &val}).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetMetadata("INBOX", []string{"/private"}, &imapclient.GetMetadataOptions{Depth: imapclient.GetMetadataDepthInfinity}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Entries["/private/vendor/color"]; v == nil || string(*v) != "blue" {
		t.Errorf("GETMETADATA: %v", got.Entries)
	}
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/vendor/color": nil}).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetMetadata("INBOX", []string{"/private/vendor/color"}, nil).Wait()
	if err != nil || got.Entries["/private/vendor/color"] != nil {
		t.Errorf("after removal: %v, %v", got.Entries, err)
	}
}

// TestMetadataIdentity: entries are named by what a copy into another
// store keeps (the account's address and creation time, the mailbox's
// UIDVALIDITY), not by store IDs: an account and INBOX made again with
// the same address and UIDVALIDITY but mailbox and account IDs of their
// own find the entries when the creation time is the same (a copy), and
// none when it is not (an account deleted and created again).
func TestMetadataIdentity(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	r := e.login()
	r.OK(`s1 SETMETADATA INBOX (/private/comment "kept")`)
	r.OK(`s2 SETMETADATA "" (/private/vendor/x "server")`)
	r.OK("l LOGOUT")
	inbox, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	acct, err := e.st.Account(ctx, e.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	again := func(created time.Time) {
		t.Helper()
		if err := e.st.DeleteAccount(ctx, acct.ID); err != nil {
			t.Fatal(err)
		}
		a := acct
		a.Created = created
		id, err := e.st.ImportAccount(ctx, a, 0)
		if err != nil {
			t.Fatal(err)
		}
		mb := inbox
		mb.UIDNext, mb.HighestModSeq = 1, 1
		if _, err := e.st.ImportMailbox(ctx, id, mb); err != nil {
			t.Fatal(err)
		}
		acct.ID = id
	}
	again(acct.Created) // a copy: new IDs, same address, creation time, UIDVALIDITY
	r = e.login()
	r.exact(`g1 GETMETADATA INBOX /private/comment`, "OK", `* METADATA INBOX (/private/comment "kept")`)
	r.exact(`g2 GETMETADATA "" /private/vendor/x`, "OK", `* METADATA "" (/private/vendor/x "server")`)
	r.OK("l LOGOUT")
	again(acct.Created.Add(time.Hour)) // another account of the same address
	r = e.login()
	r.exact(`g3 GETMETADATA INBOX /private/comment`, "OK", `* METADATA INBOX (/private/comment NIL)`)
	r.exact(`g4 GETMETADATA "" /private/vendor/x`, "OK", `* METADATA "" (/private/vendor/x NIL)`)
	// Its own entries replace the old documents.
	r.OK(`s3 SETMETADATA INBOX (/private/comment "new")`)
	r.exact(`g5 GETMETADATA INBOX /private/comment`, "OK", `* METADATA INBOX (/private/comment "new")`)
}
