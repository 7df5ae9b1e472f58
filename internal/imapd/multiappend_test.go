package imapd

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// multiappend builds a MULTIAPPEND of n messages to mailbox with
// non-synchronizing literals (RFC 7888), the flags and date of message i
// given by each(i).
func multiappend(tag, mailbox string, n int, each func(i int) string) string {
	var b strings.Builder
	b.WriteString(tag + " APPEND " + mailbox)
	for i := 0; i < n; i++ {
		m := testMessage(fmt.Sprintf("m%d", i), "multiappend body")
		b.WriteString(" ")
		if each != nil {
			b.WriteString(each(i))
		}
		fmt.Fprintf(&b, "{%d+}\r\n%s", len(m), m)
	}
	return b.String()
}

// BenchmarkMultiappend100 is one MULTIAPPEND of 100 small messages.
func BenchmarkMultiappend100(b *testing.B) {
	e := newEnv(b, nil)
	r := e.login()
	r.C.SetDeadline(time.Time{})
	cmd := multiappend("m", "INBOX", 100, nil)
	b.ResetTimer()
	for b.Loop() {
		if u := r.OK(cmd); len(u) != 0 {
			b.Fatalf("untagged %q", u)
		}
	}
}

// TestMultiappendUIDs: a MULTIAPPEND stores every message with its own
// flags and date and answers APPENDUID with the range of consecutive UIDs
// (RFC 3502, RFC 4315 §3); a session in IDLE on the mailbox sees them.
func TestMultiappendUIDs(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("Archive", testMessage("old", "x"), 0)
	w := e.idling("Archive")
	r := e.login()
	u := r.OK(`s STATUS Archive (UIDVALIDITY)`)
	var uv uint32
	if len(u) != 1 || !strings.HasPrefix(u[0], "* STATUS Archive (UIDVALIDITY ") {
		t.Fatalf("STATUS: %q", u)
	}
	fmt.Sscanf(strings.TrimPrefix(u[0], "* STATUS Archive (UIDVALIDITY "), "%d", &uv)
	dates := []string{`"07-Feb-1994 21:52:25 -0800" `, "", `" 1-Mar-2020 10:00:00 +0100" `}
	flags := []string{`(\Seen $Work) `, `(\Flagged) `, ""}
	_, tagged := r.Cmd(multiappend("a", "Archive", 3, func(i int) string { return flags[i] + dates[i] }))
	if want := fmt.Sprintf("a OK [APPENDUID %d 2:4] ", uv); !strings.HasPrefix(tagged, want) {
		t.Fatalf("MULTIAPPEND: %q, want %q", tagged, want)
	}
	if l := w.Line(); l != "* 4 EXISTS" {
		t.Fatalf("IDLE session after MULTIAPPEND: %q, want * 4 EXISTS", l)
	}
	w.endIdle()
	u = w.OK("f UID FETCH 2:* (FLAGS INTERNALDATE)")
	// $Work is new to the mailbox: FLAGS announces it before the first
	// FETCH that shows it (flags_test.go).
	const std = `\Answered \Flagged \Deleted \Seen \Draft`
	if len(u) != 5 || u[0] != "* FLAGS ("+std+" $Work)" ||
		u[1] != "* OK [PERMANENTFLAGS ("+std+` $Work \*)] Flags permitted` {
		t.Fatalf("FETCH: %q", u)
	}
	u = u[2:]
	want := []string{
		`* 2 FETCH (UID 2 FLAGS (\Seen $Work) INTERNALDATE " 7-Feb-1994 21:52:25 -0800")`,
		`* 3 FETCH (UID 3 FLAGS (\Flagged) INTERNALDATE "`,
		`* 4 FETCH (UID 4 FLAGS () INTERNALDATE " 1-Mar-2020 10:00:00 +0100")`,
	}
	if len(u) != 3 {
		t.Fatalf("FETCH: %q", u)
	}
	for i := range want {
		// The new messages are \Recent in this session (RFC 3501 §2.3.2).
		got := strings.NewReplacer(` \Recent`, "", `\Recent`, "").Replace(u[i])
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("FETCH %d: %q, want %q", i, u[i], want[i])
		}
	}
}

// TestMultiappendOverQuota: a MULTIAPPEND whose second message passes the
// quota appends nothing (RFC 3502 §3), consumes no UID, and a session in
// IDLE sees no EXISTS or EXPUNGE for it.
func TestMultiappendOverQuota(t *testing.T) {
	e := newEnv(t, nil)
	m0 := testMessage("m0", "multiappend body")
	if err := e.st.SetQuota(t.Context(), e.acct.ID, int64(len(m0))+10, 0); err != nil {
		t.Fatal(err)
	}
	w := e.idling("INBOX")
	r := e.login()
	_, tagged := r.Cmd(multiappend("a", "INBOX", 2, nil))
	if !strings.HasPrefix(tagged, "a NO [OVERQUOTA]") {
		t.Fatalf("MULTIAPPEND over quota: %q", tagged)
	}
	mb, err := e.st.Mailbox(t.Context(), e.acct.ID, "INBOX")
	if err != nil || mb.Messages != 0 || mb.UIDNext != 1 {
		t.Fatalf("after a failed MULTIAPPEND: %+v, %v", mb, err)
	}
	if q, _ := e.st.Quota(t.Context(), e.acct.ID); q.UsedBytes != 0 || q.UsedMessages != 0 {
		t.Fatalf("quota charged by a failed MULTIAPPEND: %+v", q)
	}
	// A single message that fits is the marker: the IDLE session's first
	// response must be its EXISTS, with UID 1.
	_, tagged = r.Cmd(fmt.Sprintf("b APPEND INBOX {%d+}\r\n%s", len(m0), m0))
	if !strings.Contains(tagged, " 1] ") {
		t.Fatalf("APPEND after the failed MULTIAPPEND: %q, want UID 1", tagged)
	}
	if l := w.Line(); l != "* 1 EXISTS" {
		t.Fatalf("IDLE session: %q, want * 1 EXISTS first", l)
	}
	w.endIdle()
	if u := w.OK("n NOOP"); len(u) != 0 {
		t.Fatalf("NOOP: %q", u)
	}
}

// TestMultiappendDisconnect: a client that goes away in the middle of the
// second message's literal stores nothing, not even the first message.
func TestMultiappendDisconnect(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	full := multiappend("a", "INBOX", 2, nil)
	r.Send(full[:len(full)-20])
	r.C.Close()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(e.logs.String(), "msg=disconnected") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the session did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mb, err := e.st.Mailbox(t.Context(), e.acct.ID, "INBOX")
	if err != nil || mb.Messages != 0 || mb.UIDNext != 1 {
		t.Fatalf("after a cut MULTIAPPEND: %+v, %v", mb, err)
	}
	// The same command sent whole is stored: the cut above is what failed.
	r = e.login()
	if _, tagged := r.Cmd(full); !strings.HasPrefix(tagged, "a OK [APPENDUID ") || !strings.Contains(tagged, " 1:2] ") {
		t.Fatalf("MULTIAPPEND: %q", tagged)
	}
}

// idling logs in a session with IMAP4rev2 enabled (no RECENT responses),
// selects mailbox and starts IDLE.
func (e *env) idling(mailbox string) *raw {
	e.t.Helper()
	w := e.login()
	w.OK("e ENABLE IMAP4rev2")
	w.OK("s SELECT " + mailbox)
	w.Send("i IDLE\r\n")
	if l := w.Line(); l != "+ idling" {
		e.t.Fatalf("IDLE: %q", l)
	}
	return w
}

// endIdle ends IDLE, failing on any response before the tagged OK.
func (r *raw) endIdle() {
	r.T.Helper()
	r.Send("DONE\r\n")
	if u, tagged := r.Until("i"); len(u) != 0 || !strings.HasPrefix(tagged, "i OK") {
		r.T.Fatalf("IDLE end: %q %q", u, tagged)
	}
}
