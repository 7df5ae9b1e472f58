package imapd

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Helpers of the protocol scenario tests (qresync_test.go,
// condstore_test.go, search_test.go, fetch_test.go): exact untagged
// responses, tagged statuses and mod-sequences read from the server.

// exact runs a command and requires its untagged responses to be want,
// in order, and its tagged status to start with tagged.
func (r *raw) exact(line, tagged string, want ...string) {
	r.T.Helper()
	u, got := r.Cmd(line)
	tag, _, _ := strings.Cut(line, " ")
	if !strings.HasPrefix(got, tag+" "+tagged) {
		r.T.Errorf("%s:\n tagged %q, want prefix %q (untagged %q)", line, got, tag+" "+tagged, u)
		return
	}
	if strings.Join(u, "\n") != strings.Join(want, "\n") {
		r.T.Errorf("%s:\n got  %q\n want %q", line, u, want)
	}
}

// status runs a command that must end with the given tagged status
// (kind and code, e.g. "BAD" or "OK [MODIFIED 2]") and returns its
// untagged responses.
func (r *raw) status(line, tagged string) []string {
	r.T.Helper()
	u, got := r.Cmd(line)
	tag, _, _ := strings.Cut(line, " ")
	if !strings.HasPrefix(got, tag+" "+tagged) {
		r.T.Errorf("%s: tagged %q, want prefix %q (untagged %q)", line, got, tag+" "+tagged, u)
	}
	return u
}

var modseqRE = regexp.MustCompile(`UID (\d+) MODSEQ \((\d+)\)`)

// modseqs reads every message's mod-sequence by UID (a CONDSTORE enabling
// command: RFC 7162 §3.1).
func (r *raw) modseqs() map[store.UID]uint64 {
	r.T.Helper()
	out := map[store.UID]uint64{}
	for _, l := range r.OK("ms UID FETCH 1:* (MODSEQ)") {
		if m := modseqRE.FindStringSubmatch(l); m != nil {
			u, _ := strconv.ParseUint(m[1], 10, 32)
			ms, _ := strconv.ParseUint(m[2], 10, 64)
			out[store.UID(u)] = ms
		}
	}
	return out
}

// respCode returns the argument of a response code ("UIDVALIDITY",
// "HIGHESTMODSEQ") in lines, "" when none has it.
func respCode(lines []string, code string) string {
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "["+code+" "); ok {
			v, _, _ := strings.Cut(rest, "]")
			return v
		}
	}
	return ""
}

func itoa64(n uint64) string { return strconv.FormatUint(n, 10) }

// deliverAt stores a message with the given internal date.
func (e *env) deliverAt(msg string, date time.Time, flags store.Flags) store.UID {
	e.t.Helper()
	res, err := e.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(msg), InternalDate: date},
		[]store.Target{{Account: e.acct.ID, MailboxName: "INBOX", Flags: flags}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return res[0].UID
}

// noHighestModSeq fails when lines carry a HIGHESTMODSEQ response code.
func noCode(t *testing.T, what string, lines []string, code string) {
	t.Helper()
	if v := respCode(lines, code); v != "" {
		t.Errorf("%s: unexpected [%s %s] in %q", what, code, v, lines)
	}
}

func storeUID(n int) store.UID { return store.UID(n) }

// deliverN stores n short messages in INBOX.
func (e *env) deliverN(n int) {
	e.t.Helper()
	for range n {
		e.deliver("", testMessage("m", "x"), 0)
	}
}
