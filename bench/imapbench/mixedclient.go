package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// corpusMessage is a message the clients APPEND: its bytes and its
// Message-ID (which its ENVELOPE must carry).
type corpusMessage struct {
	body  []byte
	msgID string
}

// loadCorpus reads the first n messages of an mbox.
func loadCorpus(path string, n int) ([]corpusMessage, error) {
	var out []corpusMessage
	err := readMbox(path, n, func(_ int, m mboxMessage) error {
		out = append(out, corpusMessage{body: m.body, msgID: messageID(m.body)})
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s: no messages", path)
	}
	return out, err
}

// messageID returns the <...> of the header's Message-ID field, or "".
func messageID(body []byte) string {
	head, _, _ := bytes.Cut(body, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 11 && strings.EqualFold(line[:11], "Message-ID:") {
			v := strings.TrimSpace(line[11:])
			if strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") && !strings.ContainsAny(v, `"\ `) {
				return v
			}
		}
	}
	return ""
}

// modelMsg is what the client knows of one message of its mailbox.
type modelMsg struct {
	uid   uint32
	flags []string // sorted, without \Recent
	// body and msgID are what was APPENDed (body nil: there before)
	body  []byte
	msgID string
}

// mixedClient is one client of the mixed load, alone on its user's INBOX,
// so that it knows exactly what every reply must say.
type mixedClient struct {
	srv         mixedServer
	user        string
	conf        *mixedConf
	rng         *rand.Rand
	res         *mixedResult
	c           *client
	model       []modelMsg // in sequence number order
	uidValidity string
	exists      int // the last EXISTS the server announced in this session
	appended    int // messages APPENDed
}

// keywords the STORE commands set and clear (system flags and one keyword).
var mixedFlags = []string{`\Answered`, `\Flagged`, `\Seen`, `$Label1`}

// cmd runs one command and counts it; each gets every untagged response.
func (c *mixedClient) cmd(name, line string, each func(r []byte) error) error {
	var failed error
	c.c.c.SetDeadline(time.Now().Add(60 * time.Second))
	t := time.Now()
	err := c.c.run(line, func(r []byte) {
		if failed != nil {
			return
		}
		if n, ok := untaggedNum(r, "EXISTS"); ok {
			if n < len(c.model) {
				failed = fmt.Errorf("%s: EXISTS %d below the %d messages known", name, n, len(c.model))
			}
			c.exists = n
			return
		}
		if _, ok := untaggedNum(r, "RECENT"); ok {
			return
		}
		if each != nil {
			failed = each(r)
			return
		}
		if _, ok := untaggedNum(r, "EXPUNGE"); ok {
			failed = fmt.Errorf("%s: unexpected %q", name, r)
		}
	})
	c.res.counts[name]++
	c.res.lat[name] += time.Since(t)
	if err == nil {
		err = failed
	}
	return err
}

// untaggedNum parses "* n WORD".
func untaggedNum(r []byte, word string) (int, bool) {
	s, ok := strings.CutPrefix(string(r), "* ")
	if !ok {
		return 0, false
	}
	num, rest, _ := strings.Cut(s, " ")
	if rest != word {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// prepare empties the mailbox and APPENDs conf.size messages (not
// measured).
func (c *mixedClient) prepare() error {
	if err := c.open(); err != nil {
		return err
	}
	defer c.c.close()
	if len(c.model) > 0 {
		for i := range c.model {
			c.model[i].flags = addFlags(c.model[i].flags, []string{`\Deleted`})
		}
		if err := c.cmd("STORE", `STORE 1:* +FLAGS.SILENT (\Deleted)`, nil); err != nil {
			return err
		}
		if err := c.expunge(); err != nil {
			return err
		}
	}
	if err := c.appendSome(c.conf.size); err != nil {
		return err
	}
	return c.cmd("LOGOUT", "LOGOUT", nil)
}

// open connects, logs in and selects INBOX; the first time it learns the
// mailbox (UID FETCH 1:* FLAGS), later it checks it against the model.
func (c *mixedClient) open() error {
	cl, err := dial(c.srv.addr, "")
	if err != nil {
		return err
	}
	c.c = cl
	if err := c.cmd("LOGIN", "LOGIN "+quote(c.user)+" "+quote(c.srv.pass), nil); err != nil {
		cl.close()
		return err
	}
	fresh := c.uidValidity == ""
	validity := ""
	c.exists = -1
	err = c.cmd("SELECT", "SELECT INBOX", func(r []byte) error {
		if _, rest, ok := strings.Cut(string(r), "[UIDVALIDITY "); ok {
			validity, _, _ = strings.Cut(rest, "]")
		}
		return nil
	})
	switch {
	case err != nil:
	case !fresh && validity != c.uidValidity:
		err = fmt.Errorf("SELECT: UIDVALIDITY %s, was %s", validity, c.uidValidity)
	case !fresh && c.exists != len(c.model):
		err = fmt.Errorf("SELECT: %d EXISTS, want %d", c.exists, len(c.model))
	}
	if err == nil && fresh {
		c.uidValidity = validity
		err = c.learn()
	}
	if err != nil {
		cl.close()
	}
	return err
}

// learn reads the mailbox's UIDs and flags into the model.
func (c *mixedClient) learn() error {
	c.model = c.model[:0]
	return c.cmd("FETCH", "UID FETCH 1:* (UID FLAGS)", func(r []byte) error {
		seq, uid, flags, err := fetchFlags(r)
		if err != nil {
			return err
		}
		if seq != len(c.model)+1 {
			return fmt.Errorf("learn: FETCH %d after %d messages", seq, len(c.model))
		}
		c.model = append(c.model, modelMsg{uid: uid, flags: flags})
		return nil
	})
}

// session is one connection: LOGIN, SELECT, rounds of work, LOGOUT.
func (c *mixedClient) session(deadline time.Time) error {
	if err := c.open(); err != nil {
		return err
	}
	defer c.c.close()
	c.res.sessions++
	for r := 0; r < c.conf.rounds && time.Now().Before(deadline); r++ {
		for _, step := range []func() error{c.fetchFlags, c.fetchEnvelopes, c.fetchBody, c.store, c.deleteSome,
			func() error { return c.appendSome(c.conf.size - len(c.model) + c.rng.IntN(3)) }} {
			if err := step(); err != nil {
				return err
			}
		}
	}
	return c.cmd("LOGOUT", "LOGOUT", nil)
}

// fetchFlags checks every message's UID and flags, in sequence order.
func (c *mixedClient) fetchFlags() error {
	n := 0
	err := c.cmd("FETCH", "FETCH 1:* (UID FLAGS)", func(r []byte) error {
		seq, uid, flags, err := fetchFlags(r)
		if err != nil {
			return err
		}
		if seq != n+1 || seq > len(c.model) {
			return fmt.Errorf("FETCH 1:*: response for %d after %d (%d messages)", seq, n, len(c.model))
		}
		n++
		m := c.model[seq-1]
		if uid != m.uid || !slices.Equal(flags, m.flags) {
			return fmt.Errorf("FETCH %d: UID %d FLAGS %v, want UID %d FLAGS %v", seq, uid, flags, m.uid, m.flags)
		}
		return nil
	})
	if err == nil && n != len(c.model) {
		err = fmt.Errorf("FETCH 1:*: %d responses, want %d", n, len(c.model))
	}
	return err
}

// pickRange returns a random range first:last of up to k sequence numbers.
func (c *mixedClient) pickRange(k int) (int, int) {
	first := 1 + c.rng.IntN(len(c.model))
	return first, min(len(c.model), first+c.rng.IntN(k))
}

// fetchEnvelopes fetches ENVELOPE, INTERNALDATE and RFC822.SIZE of a few
// messages: the size must be the APPENDed one, the envelope must carry its
// Message-ID.
func (c *mixedClient) fetchEnvelopes() error {
	if len(c.model) == 0 {
		return nil
	}
	first, last := c.pickRange(10)
	seen := 0
	err := c.cmd("FETCH", fmt.Sprintf("FETCH %d:%d (ENVELOPE INTERNALDATE RFC822.SIZE)", first, last), func(r []byte) error {
		seq, ok := fetchSeq(r)
		if !ok || seq < first || seq > last {
			return fmt.Errorf("FETCH %d:%d: unexpected %.80q", first, last, r)
		}
		seen++
		m := c.model[seq-1]
		if m.body == nil {
			return nil // there before this run: not ours to know
		}
		if !bytes.Contains(r, []byte("RFC822.SIZE "+strconv.Itoa(len(m.body)))) {
			return fmt.Errorf("FETCH %d: RFC822.SIZE is not %d: %.200q", seq, len(m.body), r)
		}
		if m.msgID != "" && !bytes.Contains(r, []byte(m.msgID)) {
			return fmt.Errorf("FETCH %d: ENVELOPE without %s: %.300q", seq, m.msgID, r)
		}
		return nil
	})
	if err == nil && seen != last-first+1 {
		err = fmt.Errorf("FETCH %d:%d: %d responses", first, last, seen)
	}
	return err
}

// fetchBody fetches one whole message, which must be the bytes APPENDed.
func (c *mixedClient) fetchBody() error {
	if len(c.model) == 0 {
		return nil
	}
	seq := 1 + c.rng.IntN(len(c.model))
	m := c.model[seq-1]
	got := false
	err := c.cmd("FETCH", fmt.Sprintf("UID FETCH %d (BODY.PEEK[])", m.uid), func(r []byte) error {
		s, ok := fetchSeq(r)
		if !ok || s != seq {
			return fmt.Errorf("UID FETCH %d: unexpected %.80q", m.uid, r)
		}
		got = true
		if m.body == nil {
			return nil
		}
		body, ok := literalAfter(r, "BODY[] ")
		if !ok || !bytes.Equal(body, m.body) {
			return fmt.Errorf("UID FETCH %d BODY[]: not the message APPENDed (%d octets, want %d)", m.uid, len(body), len(m.body))
		}
		return nil
	})
	if err == nil && !got {
		err = fmt.Errorf("UID FETCH %d: no response", m.uid)
	}
	return err
}

// store changes the flags of a few messages: +FLAGS, -FLAGS or FLAGS of
// some of mixedFlags; each response must give the model's new flags, and
// every message whose flags changed must have one.
func (c *mixedClient) store() error {
	if len(c.model) == 0 {
		return nil
	}
	first, last := c.pickRange(3)
	var set []string
	for _, f := range mixedFlags {
		if c.rng.IntN(2) == 0 {
			set = append(set, f)
		}
	}
	op := []string{"+FLAGS", "-FLAGS", "FLAGS"}[c.rng.IntN(3)]
	changed := map[int]bool{}
	for seq := first; seq <= last; seq++ {
		m := &c.model[seq-1]
		var nf []string
		switch op {
		case "+FLAGS":
			nf = addFlags(m.flags, set)
		case "-FLAGS":
			nf = removeFlags(m.flags, set)
		default:
			nf = addFlags(removeFlags(m.flags, mixedFlags), set)
		}
		if !slices.Equal(nf, m.flags) {
			changed[seq] = true
		}
		m.flags = nf
	}
	line := fmt.Sprintf("STORE %d:%d %s (%s)", first, last, op, strings.Join(set, " "))
	err := c.cmd("STORE", line, func(r []byte) error {
		seq, _, flags, err := fetchFlags(r)
		if err != nil {
			return fmt.Errorf("%s: %w", line, err)
		}
		if seq < first || seq > last || !slices.Equal(flags, c.model[seq-1].flags) {
			return fmt.Errorf("%s: %q, want FLAGS %v", line, r, c.model[min(max(seq, 1), len(c.model))-1].flags)
		}
		delete(changed, seq)
		return nil
	})
	if err == nil && len(changed) > 0 {
		err = fmt.Errorf("%s: no FETCH for %d changed messages", line, len(changed))
	}
	return err
}

// deleteSome marks one to three messages \Deleted and expunges them.
func (c *mixedClient) deleteSome() error {
	if len(c.model) == 0 {
		return nil
	}
	var seqs []string
	for k := 1 + c.rng.IntN(3); k > 0; k-- {
		seq := 1 + c.rng.IntN(len(c.model))
		seqs = append(seqs, strconv.Itoa(seq))
		c.model[seq-1].flags = addFlags(c.model[seq-1].flags, []string{`\Deleted`})
	}
	line := "STORE " + strings.Join(seqs, ",") + ` +FLAGS.SILENT (\Deleted)`
	if err := c.cmd("STORE", line, func(r []byte) error {
		return fmt.Errorf("%s: unexpected %.80q", line, r)
	}); err != nil {
		return err
	}
	return c.expunge()
}

// expunge runs EXPUNGE: each EXPUNGE response, applied in order, must
// remove a \Deleted message, and none may be left.
func (c *mixedClient) expunge() error {
	err := c.cmd("EXPUNGE", "EXPUNGE", func(r []byte) error {
		n, ok := untaggedNum(r, "EXPUNGE")
		if !ok {
			return fmt.Errorf("EXPUNGE: unexpected %.80q", r)
		}
		if n < 1 || n > len(c.model) || !slices.Contains(c.model[n-1].flags, `\Deleted`) {
			return fmt.Errorf("EXPUNGE: * %d EXPUNGE names no \\Deleted message (%d messages)", n, len(c.model))
		}
		c.model = slices.Delete(c.model, n-1, n)
		c.exists = len(c.model)
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range c.model {
		if slices.Contains(m.flags, `\Deleted`) {
			return fmt.Errorf("EXPUNGE: UID %d is \\Deleted and still there", m.uid)
		}
	}
	return nil
}

// appendSome APPENDs k messages with random flags (APPENDUID, RFC 4315,
// gives their UIDs), then checks with NOOP that the server announced them
// all.
func (c *mixedClient) appendSome(k int) error {
	if k <= 0 {
		return nil
	}
	for ; k > 0; k-- {
		i := c.rng.IntN(len(c.conf.corpus))
		var flags []string
		for _, f := range mixedFlags {
			if c.rng.IntN(3) == 0 {
				flags = addFlags(flags, []string{f})
			}
		}
		body := c.conf.corpus[i].body
		if !c.conf.sameBodies {
			// A body of its own, as mail mostly is (the store keeps one
			// copy of identical bodies).
			c.appended++
			body = append([]byte(fmt.Sprintf("X-Imapbench: %s %d %d\r\n", c.user, c.appended, time.Now().UnixNano())), body...)
		}
		line := fmt.Sprintf("APPEND INBOX (%s) {%d+}\r\n%s", strings.Join(flags, " "), len(body), body)
		if err := c.cmd("APPEND", line, nil); err != nil {
			return err
		}
		var uid uint32
		if _, rest, ok := strings.Cut(string(c.c.status), "[APPENDUID "); ok {
			v, u, _ := strings.Cut(rest, " ")
			u, _, _ = strings.Cut(u, "]")
			if n, err := strconv.ParseUint(u, 10, 32); err == nil && v == c.uidValidity {
				uid = uint32(n)
			}
		}
		if uid == 0 || (len(c.model) > 0 && uid <= c.model[len(c.model)-1].uid) {
			return fmt.Errorf("APPEND: APPENDUID %d after UID %d (UIDVALIDITY %s)", uid, c.lastUID(), c.uidValidity)
		}
		c.model = append(c.model, modelMsg{uid: uid, flags: flags, body: body, msgID: c.conf.corpus[i].msgID})
	}
	if err := c.cmd("NOOP", "NOOP", nil); err != nil {
		return err
	}
	if c.exists != len(c.model) {
		return fmt.Errorf("NOOP after APPEND: %d EXISTS, want %d", c.exists, len(c.model))
	}
	return nil
}

func (c *mixedClient) lastUID() uint32 {
	if len(c.model) == 0 {
		return 0
	}
	return c.model[len(c.model)-1].uid
}

// addFlags returns the sorted union; removeFlags the sorted difference.
func addFlags(have, add []string) []string {
	out := slices.Clone(have)
	for _, f := range add {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func removeFlags(have, drop []string) []string {
	out := slices.DeleteFunc(slices.Clone(have), func(f string) bool { return slices.Contains(drop, f) })
	slices.Sort(out)
	return out
}

// fetchSeq parses "* n FETCH (".
func fetchSeq(r []byte) (int, bool) {
	s, ok := strings.CutPrefix(string(r[:min(len(r), 32)]), "* ")
	if !ok {
		return 0, false
	}
	num, rest, _ := strings.Cut(s, " ")
	if !strings.HasPrefix(rest, "FETCH (") {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// fetchFlags parses "* n FETCH (... UID u ... FLAGS (...) ...)" of a
// response with no strings (UID, FLAGS, MODSEQ): the flags sorted,
// without \Recent; uid is 0 when absent.
func fetchFlags(r []byte) (seq int, uid uint32, flags []string, err error) {
	seq, ok := fetchSeq(r)
	if !ok {
		return 0, 0, nil, fmt.Errorf("not a FETCH response: %.80q", r)
	}
	s := string(r)
	inner := s[strings.Index(s, "(")+1 : len(s)-1]
	i := strings.Index(inner, "FLAGS (")
	j := strings.IndexByte(inner[max(i, 0):], ')')
	if i < 0 || j < 0 {
		return 0, 0, nil, fmt.Errorf("no FLAGS in %.80q", r)
	}
	flags = []string{}
	for _, f := range strings.Fields(inner[i+7 : i+j]) {
		if f != `\Recent` {
			flags = append(flags, f)
		}
	}
	slices.Sort(flags)
	rest := inner[:i] + inner[i+j+1:]
	if _, v, ok := strings.Cut(rest, "UID "); ok {
		v, _, _ = strings.Cut(v, " ")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("bad UID in %.80q", r)
		}
		uid = uint32(n)
	}
	return seq, uid, flags, nil
}

// literalAfter returns the literal that follows item in a response (the
// client reads literals inline: "item {n}\r\n" and n octets).
func literalAfter(r []byte, item string) ([]byte, bool) {
	i := bytes.Index(r, []byte(item+"{"))
	if i < 0 {
		return nil, false
	}
	rest := r[i+len(item)+1:]
	j := bytes.Index(rest, []byte("}\r\n"))
	if j < 0 {
		return nil, false
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil || j+3+n > len(rest) {
		return nil, false
	}
	return rest[j+3 : j+3+n], true
}
