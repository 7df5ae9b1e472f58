package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/imapmsg"
)

// inStateFor puts s in the first state that allows the command input
// starts with (parseCommand refuses a command of another state before
// its arguments).
func inStateFor(s *session, input string) {
	f := strings.Fields(strings.ToUpper(input))
	if len(f) < 2 {
		return
	}
	name := f[1]
	if name == "UID" && len(f) > 2 {
		name = f[2]
	}
	for st := stateNotAuth; st <= stateSelected; st++ {
		if commands[name].states&(1<<st) != 0 {
			s.state = st
			return
		}
	}
}

// parseOne parses input as one command; conts counts continuation
// requests.
func parseOne(t testing.TB, input string) (*command, int, error) {
	s := &session{srv: &Server{cfg: Config{MaxMessageSize: 1000, SpoolDir: t.TempDir()}.withDefaults()}}
	inStateFor(s, input)
	conts := 0
	r := newReader(bufio.NewReader(strings.NewReader(input)), 1024, 100, func() error { conts++; return nil })
	c, err := s.parseCommand(r)
	c.release()
	return c, conts, err
}

// argsOf returns the parsed arguments of c as an *A, nil when they are
// of another type.
func argsOf[A any](c *command) *A {
	a, _ := c.args.(*A)
	return a
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		in    string
		check func(*command) bool
	}{
		{"a LOGIN alice \"p\\\"w\"\r\n", func(c *command) bool { a := argsOf[loginArgs](c); return a.user == "alice" && a.pass == `p"w` }},
		{"a login {5}\r\nalice {2+}\r\npw\r\n", func(c *command) bool { a := argsOf[loginArgs](c); return a.user == "alice" && a.pass == "pw" }},
		{"a AUTHENTICATE plain AGEAYg==\r\n", func(c *command) bool { a := argsOf[authArgs](c); return a.mech == "PLAIN" && *a.initial == "AGEAYg==" }},
		{"a SELECT INBOX (CONDSTORE)\r\n", func(c *command) bool { return argsOf[selectArgs](c).condstore }},
		{"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", func(c *command) bool {
			q := argsOf[selectArgs](c).qresync
			return q.uidValidity == 67890007 && q.modSeq == 20050715194045000 && len(q.knownUIDs.ranges) == 3
		}},
		{"a SELECT INBOX (QRESYNC (1 2 1:5 (1,3 2,4)))\r\n", func(c *command) bool { return argsOf[selectArgs](c).qresync.seqMatch != nil }},
		{"a UID FETCH 1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[1] BINARY.SIZE[2]) (CHANGEDSINCE 5 VANISHED)\r\n",
			func(c *command) bool {
				f := argsOf[fetchArgs](c)
				return c.uid && len(f.items) == 4 && f.items[1].peek && f.items[1].section.Specifier == "HEADER.FIELDS" &&
					len(f.items[1].section.Fields) == 2 && f.items[1].section.Partial.Count == 100 &&
					f.items[2].section.Binary && f.changedSince == 5 && f.vanished
			}},
		{"a FETCH 1,2:4,* ALL\r\n", func(c *command) bool { f := argsOf[fetchArgs](c); return len(f.items) == 4 && len(f.set.ranges) == 3 }},
		{"a FETCH $ BODY[]\r\n", func(c *command) bool { return argsOf[fetchArgs](c).set.saved }},
		{"a FETCH 1 (BODY[1.MIME] BODY[TEXT] RFC822.HEADER)\r\n", func(c *command) bool {
			f := argsOf[fetchArgs](c)
			return f.items[0].section.Specifier == "MIME" && f.items[1].section.Specifier == "TEXT"
		}},
		{"a STORE 1:3 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\Seen $Junk)\r\n", func(c *command) bool {
			s := argsOf[storeArgs](c)
			return s.op == "+" && s.silent && s.unchangedSince == 12 && len(s.flags) == 2
		}},
		{"a STORE 1 FLAGS \\Seen \\Flagged\r\n", func(c *command) bool { return len(argsOf[storeArgs](c).flags) == 2 }},
		{"a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR FROM bob (SUBJECT \"hi\" UNSEEN) NOT 1:5 SINCE 1-Feb-1994\r\n",
			func(c *command) bool {
				a := argsOf[searchArgs](c)
				return a.esearch && len(a.ret) == 3 && a.charset == "UTF-8" && a.key.Kind == imapmsg.And && len(a.key.Children) == 3 &&
					a.key.Children[0].Kind == imapmsg.Or && a.key.Children[1].Kind == imapmsg.Not &&
					a.key.Children[2].Date.Day() == 1
			}},
		{"a SEARCH HEADER X-Foo {3}\r\nbar MODSEQ \"/flags/\\\\draft\" all 620162338 $\r\n", func(c *command) bool {
			k := argsOf[searchArgs](c).key
			return k.Children[0].Field == "X-Foo" && k.Children[0].Text == "bar" && k.Children[1].Number == 620162338 &&
				k.Children[2].Text == savedMark
		}},
		{"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX* %) RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n", func(c *command) bool {
			l := argsOf[listArgs](c)
			return l.subscribed && l.recursive && len(l.patterns) == 2 && l.retChildren && len(l.retStatus) == 2
		}},
		{"a LSUB \"\" *\r\n", func(c *command) bool { return argsOf[listArgs](c).lsub }},
		{"a CREATE Foo (USE (\\Sent))\r\n", func(c *command) bool { return argsOf[createArgs](c).use[0] == `\Sent` }},
		{"a STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)\r\n", func(c *command) bool { return len(argsOf[statusArgs](c).items) == 3 }},
		{"a APPEND Drafts (\\Draft) \" 7-Feb-1994 21:52:25 -0800\" {3}\r\nabc (\\Seen) {2+}\r\nxy\r\n", func(c *command) bool {
			m := argsOf[appendArgs](c).msgs
			return len(m) == 2 && m[0].date != "" && m[1].body.size == 2
		}},
		{"a APPEND INBOX UTF8 (~{3+}\r\nabc)\r\n", func(c *command) bool { return argsOf[appendArgs](c).msgs[0].utf8 }},
		{"a ID (\"name\" \"x\" \"version\" NIL)\r\n", func(c *command) bool { return len(argsOf[idArgs](c).params) == 4 }},
		{"a ENABLE CONDSTORE qresync\r\n", func(c *command) bool { return argsOf[enableArgs](c).caps[1] == "QRESYNC" }},
		{"a UID EXPUNGE 3:5\r\n", func(c *command) bool { return c.uid && len(argsOf[expungeArgs](c).set.ranges) == 1 }},
		{"a UID MOVE 1:* Trash\r\n", func(c *command) bool { return c.name == "MOVE" && argsOf[copyArgs](c).mailbox == "Trash" }},
	}
	for _, tc := range tests {
		c, _, err := parseOne(t, tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%q: parsed as %+v", tc.in, c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"\r\n", "a\r\n", "a FOO\r\n", "a LOGIN alice\r\n", "a FETCH 0 FLAGS\r\n", "a FETCH 1 (FLAGS\r\n",
		"a FETCH 1 BODY[HEADER.FIELDS ()]\r\n", "a STORE 1 FLAGS (\\*)\r\n", "a SEARCH FOO\r\n",
		"a SEARCH " + strings.Repeat("NOT ", 100) + "ALL\r\n", "a UID NOOP\r\n", "a SELECT\r\n",
		"a STATUS INBOX (BOGUS)\r\n", "a LIST (BOGUS) \"\" *\r\n", "a LOGIN \"unterminated\r\n",
	} {
		if _, _, err := parseOne(t, in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestLiterals(t *testing.T) {
	// A synchronizing literal gets one continuation request.
	if _, n, err := parseOne(t, "a LOGIN {1}\r\nx {1}\r\ny\r\n"); err != nil || n != 2 {
		t.Errorf("sync literals: %d continuations, %v", n, err)
	}
	// LITERAL+: none.
	if _, n, err := parseOne(t, "a LOGIN {1+}\r\nx {1+}\r\ny\r\n"); err != nil || n != 0 {
		t.Errorf("non-sync literals: %d continuations, %v", n, err)
	}
	// Over the string limit (100): a synchronizing literal is refused
	// without a continuation request.
	_, n, err := parseOne(t, "a LOGIN {500}\r\n")
	var se *syntaxError
	if !errors.As(err, &se) || se.code != "TOOBIG" || n != 0 {
		t.Errorf("big sync literal: %v, %d continuations", err, n)
	}
	// APPEND past APPENDLIMIT (1000): NO [TOOBIG].
	_, _, err = parseOne(t, "a APPEND INBOX {2000}\r\n")
	if !errors.As(err, &se) || se.code != "TOOBIG" || se.kind != "NO" {
		t.Errorf("big APPEND: %v", err)
	}

}

// TestAppendTotalLimit: the literal that would take one MULTIAPPEND past
// MaxAppendTotal is refused with NO [LIMIT] before the client sends it,
// though it is within the APPENDLIMIT.
func TestAppendTotalLimit(t *testing.T) {
	s := &session{srv: &Server{cfg: Config{MaxMessageSize: 1000, MaxAppendTotal: 1000, SpoolDir: t.TempDir()}.withDefaults()}}
	conts := 0
	input := "a APPEND INBOX {600}\r\n" + strings.Repeat("x", 600) + " {600}\r\n"
	inStateFor(s, input)
	r := newReader(bufio.NewReader(strings.NewReader(input)), 1024, 100, func() error { conts++; return nil })
	c, err := s.parseCommand(r)
	c.release()
	var se *syntaxError
	if !errors.As(err, &se) || se.code != "LIMIT" || se.kind != "NO" || conts != 1 {
		t.Errorf("MULTIAPPEND over the total: %v, %d continuations", err, conts)
	}
	// Within the total, both are taken.
	s.srv.cfg.MaxAppendTotal = 1200
	input = "a APPEND INBOX {600}\r\n" + strings.Repeat("x", 600) + " {600}\r\n" + strings.Repeat("y", 600) + "\r\n"
	r = newReader(bufio.NewReader(strings.NewReader(input)), 1024, 100, func() error { return nil })
	c, err = s.parseCommand(r)
	if err != nil || len(argsOf[appendArgs](c).msgs) != 2 {
		t.Errorf("MULTIAPPEND within the total: %v", err)
	}
	c.release()
}

func TestSkipCommand(t *testing.T) {
	s := &session{srv: &Server{cfg: Config{}.withDefaults()}}
	input := "a FETCH x {5+}\r\nhello more\r\nb NOOP\r\n"
	inStateFor(s, input)
	r := newReader(bufio.NewReader(strings.NewReader(input)), 1024, 100, nil)
	if _, err := s.parseCommand(r); err == nil {
		t.Fatal("no error")
	}
	if err := r.skipCommand(); err != nil {
		t.Fatal(err)
	}
	c, err := s.parseCommand(r)
	if err != nil || c.name != "NOOP" {
		t.Fatalf("after skip: %+v %v", c, err)
	}
}

func TestLineTooLong(t *testing.T) {
	s := &session{srv: &Server{cfg: Config{}.withDefaults()}}
	input := "a NOOP " + strings.Repeat("x", 3000) + "\r\nb NOOP\r\n"
	r := newReader(bufio.NewReaderSize(strings.NewReader(input), 16), 1024, 100, nil)
	if _, err := s.parseCommand(r); err != errLineTooLong {
		t.Fatalf("got %v", err)
	}
	if c, err := s.parseCommand(r); err != nil || c.tag != "b" {
		t.Fatalf("after a long line: %+v %v", c, err)
	}
}

func TestFormatNums(t *testing.T) {
	if got := formatNums([]uint32{1, 2, 3, 5, 7, 8}); got != "1:3,5,7:8" {
		t.Errorf("formatNums: %q", got)
	}
	if got := formatOrdered([]uint32{5, 6, 2, 9}); got != "5:6,2,9" {
		t.Errorf("formatOrdered: %q", got)
	}
}

func TestMUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, mutf7 string }{
		{"INBOX", "INBOX"}, {"Entwürfe", "Entw&APw-rfe"}, {"A&B", "A&-B"}, {"日本語", "&ZeVnLIqe-"},
	} {
		if got := encodeMUTF7(tc.utf8); got != tc.mutf7 {
			t.Errorf("encode %q = %q, want %q", tc.utf8, got, tc.mutf7)
		}
		if got, ok := decodeMUTF7(tc.mutf7); !ok || got != tc.utf8 {
			t.Errorf("decode %q = %q %v", tc.mutf7, got, ok)
		}
	}
	if _, ok := decodeMUTF7("&Jjo!"); ok {
		t.Error("bad modified UTF-7 accepted")
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"*", "a/b", true}, {"%", "a/b", false}, {"%", "a", true}, {"a/%", "a/b", true},
		{"a/%", "a/b/c", false}, {"a*", "a/b/c", true}, {"*c", "a/b/c", true}, {"%/%", "a/b", true},
		{"INBOX", "INBOX", true}, {"x", "y", false}, {"", "", true},
	} {
		if got := matchPattern(tc.pat, tc.name); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.pat, tc.name, got)
		}
	}
}

// FuzzCommand feeds arbitrary input, literals included, to the command
// parser: it must never panic, and after an error skipCommand must leave
// the reader able to go on.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		"a LOGIN {5}\r\nalice {2+}\r\npw\r\n",
		"a UID FETCH 1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>) (CHANGEDSINCE 5 VANISHED)\r\n",
		"a SEARCH OR FROM bob NOT (SUBJECT {2+}\r\nhi UNSEEN) 1:5,$\r\n",
		"a APPEND INBOX (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {3+}\r\nabc\r\n",
		"a SELECT INBOX (QRESYNC (1 2 1:5 (1,3 2,4)))\r\n",
		"a LIST (SUBSCRIBED) \"\" (% INBOX*) RETURN (STATUS (MESSAGES))\r\n",
		"a STORE 1 (UNCHANGEDSINCE 3) -FLAGS.SILENT \\Deleted\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &session{srv: &Server{cfg: Config{MaxMessageSize: 4096, SpoolDir: t.TempDir()}.withDefaults()}}
		r := newReader(bufio.NewReader(bytes.NewReader(data)), 512, 256, func() error { return nil })
		for i := 0; i < 20; i++ {
			s.state = state(i % 3) // every state's commands reach their parsers
			c, err := s.parseCommand(r)
			c.release()
			if err != nil {
				var se *syntaxError
				if !errors.As(err, &se) || se.fatal || r.skipCommand() != nil {
					return
				}
			}
		}
	})
}
