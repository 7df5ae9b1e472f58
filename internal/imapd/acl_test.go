package imapd

import (
	"context"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

const tBox = `"Other Users/bob@example.org/T`

// box names bob's mailbox T (or T/sub) as alice does, quoted.
func box(sub string) string {
	if sub == "" {
		return tBox + `"`
	}
	return tBox + "/" + sub + `"`
}

// resetT makes bob's T, T/Dst and T/Old anew, one message in T, no
// entries.
func (a *aclEnv) resetT() {
	a.t.Helper()
	ctx := context.Background()
	for _, n := range []string{"T/Sub", "T/Old", "T/New", "T/Dst", "T"} {
		if err := a.st.DeleteMailbox(ctx, a.owner.ID, n); err != nil && !store.IsKind(err, store.KindNotFound) {
			a.t.Fatal(err)
		}
	}
	for _, n := range []string{"T", "T/Dst", "T/Old"} {
		if _, err := a.st.CreateMailbox(ctx, a.owner.ID, n, store.UseNone); err != nil {
			a.t.Fatal(err)
		}
	}
	a.deliverOwner("T", testMessage("tmsg", secretWord))
}

func (a *aclEnv) exists(name string) bool {
	_, err := a.st.Mailbox(context.Background(), a.owner.ID, name)
	return err == nil
}

func (a *aclEnv) count(name string) int64 {
	mb, err := a.st.Mailbox(context.Background(), a.owner.ID, name)
	if err != nil {
		a.t.Fatal(err)
	}
	return mb.Messages
}

// rightCase checks one right on one command (RFC 4314 §4): with base
// plus the right the command works; with base alone it is refused (NO
// with code, or for alwaysOK commands OK without its effect) and sends
// none of data.
type rightCase struct {
	name     string
	right    string
	base     string
	on       string            // bob's mailbox granted ("" = T)
	extra    map[string]string // other grants: mailbox -> rights
	setup    []string
	cmd      string
	code     string // the refusal's code; "" = alwaysOK
	data     string // untagged data of the granted run only
	effect   func(a *aclEnv) bool
	alwaysOK bool
}

func TestACLRightsTable(t *testing.T) {
	a := newACLEnv(t)
	msg := testMessage("appended", "hello")
	appendCmd := "APPEND " + box("") + " {" + itoa(len(msg)) + "+}\r\n" + msg
	cases := []rightCase{
		{name: "LIST", right: "l", cmd: `LIST "" "Other Users/*"`, data: `"Other Users/bob@example.org/T"`, alwaysOK: true},
		{name: "SELECT", right: "r", base: "l", cmd: "SELECT " + box(""), code: "NOPERM", data: "EXISTS"},
		{name: "EXAMINE", right: "r", base: "l", cmd: "EXAMINE " + box(""), code: "NOPERM", data: "EXISTS"},
		{name: "STATUS", right: "r", base: "l", cmd: "STATUS " + box("") + " (MESSAGES UNSEEN SIZE)", code: "NOPERM", data: "* STATUS"},
		{name: "STORE Seen", right: "s", base: "lrw", setup: []string{"SELECT " + box("")}, cmd: `UID STORE 1 +FLAGS (\Seen)`,
			code: "NOPERM", data: "FETCH", effect: func(a *aclEnv) bool { f, _ := a.ownerFlags("T", 1); return f&store.FlagSeen != 0 }},
		{name: "FETCH sets Seen", right: "s", base: "lrw", setup: []string{"SELECT " + box("")}, cmd: `FETCH 1 BODY[TEXT]`,
			alwaysOK: true, effect: func(a *aclEnv) bool { f, _ := a.ownerFlags("T", 1); return f&store.FlagSeen != 0 }},
		{name: "STORE Flagged", right: "w", base: "lrs", setup: []string{"SELECT " + box("")}, cmd: `UID STORE 1 +FLAGS (\Flagged $Label1)`,
			code: "NOPERM", data: "FETCH", effect: func(a *aclEnv) bool { f, _ := a.ownerFlags("T", 1); return f&store.FlagFlagged != 0 }},
		{name: "STORE Deleted", right: "t", base: "lrs", setup: []string{"SELECT " + box("")}, cmd: `UID STORE 1 +FLAGS (\Deleted)`,
			code: "NOPERM", data: "FETCH", effect: func(a *aclEnv) bool { f, _ := a.ownerFlags("T", 1); return f&store.FlagDeleted != 0 }},
		{name: "EXPUNGE", right: "e", base: "lrt", setup: []string{"SELECT " + box(""), `UID STORE 1 +FLAGS.SILENT (\Deleted)`},
			cmd: "EXPUNGE", code: "NOPERM", data: "EXPUNGE", effect: func(a *aclEnv) bool { return a.count("T") == 0 }},
		{name: "CLOSE expunges", right: "e", base: "lrt", setup: []string{"SELECT " + box(""), `UID STORE 1 +FLAGS.SILENT (\Deleted)`},
			cmd: "CLOSE", alwaysOK: true, effect: func(a *aclEnv) bool { return a.count("T") == 0 }},
		{name: "APPEND", right: "i", base: "l", cmd: appendCmd, code: "NOPERM",
			effect: func(a *aclEnv) bool { return a.count("T") == 2 }},
		{name: "COPY into", right: "i", base: "l", on: "T/Dst", extra: map[string]string{"T": "lr"},
			setup: []string{"SELECT " + box("")}, cmd: "UID COPY 1 " + box("Dst"), code: "NOPERM",
			effect: func(a *aclEnv) bool { return a.count("T/Dst") == 1 }},
		{name: "MOVE needs e", right: "e", base: "lrt", extra: map[string]string{"T/Dst": "li"},
			setup: []string{"SELECT " + box("")}, cmd: "UID MOVE 1 " + box("Dst"), code: "NOPERM", data: "EXPUNGE",
			effect: func(a *aclEnv) bool { return a.count("T/Dst") == 1 }},
		{name: "MOVE needs t", right: "t", base: "lre", extra: map[string]string{"T/Dst": "li"},
			setup: []string{"SELECT " + box("")}, cmd: "UID MOVE 1 " + box("Dst"), code: "NOPERM", data: "EXPUNGE",
			effect: func(a *aclEnv) bool { return a.count("T/Dst") == 1 }},
		{name: "MOVE needs i", right: "i", base: "l", on: "T/Dst", extra: map[string]string{"T": "lrte"},
			setup: []string{"SELECT " + box("")}, cmd: "UID MOVE 1 " + box("Dst"), code: "NOPERM", data: "EXPUNGE",
			effect: func(a *aclEnv) bool { return a.count("T/Dst") == 1 }},
		{name: "CREATE", right: "k", base: "l", cmd: "CREATE " + box("Sub"), code: "NOPERM",
			effect: func(a *aclEnv) bool { return a.exists("T/Sub") }},
		{name: "DELETE", right: "x", base: "l", on: "T/Old", cmd: "DELETE " + box("Old"), code: "NOPERM",
			effect: func(a *aclEnv) bool { return !a.exists("T/Old") }},
		{name: "RENAME source", right: "x", base: "l", on: "T/Old", extra: map[string]string{"T": "lk"},
			cmd: "RENAME " + box("Old") + " " + box("New"), code: "NOPERM", effect: func(a *aclEnv) bool { return a.exists("T/New") }},
		{name: "RENAME parent", right: "k", base: "l", extra: map[string]string{"T/Old": "lx"},
			cmd: "RENAME " + box("Old") + " " + box("New"), code: "NOPERM", effect: func(a *aclEnv) bool { return a.exists("T/New") }},
		{name: "GETACL", right: "a", base: "l", cmd: "GETACL " + box(""), code: "NOPERM", data: "* ACL"},
		{name: "LISTRIGHTS", right: "a", base: "l", cmd: "LISTRIGHTS " + box("") + " carol@example.org", code: "NOPERM", data: "* LISTRIGHTS"},
		{name: "SETACL", right: "a", base: "l", cmd: "SETACL " + box("") + " carol@example.org lr", code: "NOPERM",
			effect: func(a *aclEnv) bool {
				mb, _ := a.st.Mailbox(context.Background(), a.owner.ID, "T")
				es, _ := a.acl.MailboxRights(context.Background(), mb.ID)
				return len(es) == 2
			}},
		{name: "MYRIGHTS", right: "p", cmd: "MYRIGHTS " + box(""), code: "NONEXISTENT", data: "* MYRIGHTS"},
		{name: "SUBSCRIBE", right: "l", base: "p", cmd: "SUBSCRIBE " + box(""), code: "NONEXISTENT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { a.t = t; checkRight(t, a, c) })
	}
}

func checkRight(t *testing.T, a *aclEnv, c rightCase) {
	{
		for _, granted := range []bool{true, false} {
			a.resetT()
			rights := c.base
			if granted {
				rights += c.right
			}
			on := c.on
			if on == "" {
				on = "T"
			}
			for mb, r := range c.extra {
				a.grant(mb, r)
			}
			a.grant(on, rights)
			r := a.login()
			for _, l := range c.setup {
				r.OK("s " + l)
			}
			u, tagged := r.Cmd("c " + c.cmd)
			r.Cmd("z LOGOUT")
			what := c.name + " with " + `"` + rights + `"`
			want := "c OK"
			if !granted && !c.alwaysOK {
				want = "c NO [" + c.code + "]"
			}
			if !strings.HasPrefix(tagged, want) {
				t.Errorf("%s: %q, want %q (untagged %q)", what, tagged, want, u)
			}
			if c.data != "" && has(u, c.data) != granted {
				t.Errorf("%s: data %q sent: %v, want %v (%q)", what, c.data, !granted, granted, u)
			}
			if !strings.Contains(rights, "r") && has(u, secretWord) {
				t.Errorf("%s: message content sent: %q", what, u)
			}
			if c.effect != nil && c.effect(a) != granted {
				t.Errorf("%s: effect %v, want %v", what, !granted, granted)
			}
		}
	}
}
