package imapsort

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

func TestBaseSubject(t *testing.T) {
	cases := []struct {
		in, want string
		reply    bool
	}{
		{"Hello", "Hello", false},
		{"Re: Hello", "Hello", true},
		{"RE: re: Fwd: Hello", "Hello", true},
		{"Re[2]: Hello", "Hello", true},
		{"Re [2]: Hello", "Hello", true},
		{"[list] Re: Hello", "Hello", true},
		{"[list] Hello", "Hello", false},
		{"[list]", "[list]", false},
		{"[a][b] Re: [c] Hello", "Hello", true},
		{"Hello (fwd)", "Hello", true},
		{"Hello (FWD) (fwd)  ", "Hello", true},
		{"[Fwd: Re: Hello]", "Hello", true},
		{"[fwd: [list] Hello (fwd)]", "Hello", true},
		{"Fw: Hello", "Hello", true},
		{"Fwd:Hello", "Hello", true},
		{"Rebate: 10%", "Rebate: 10%", false},
		{"  Hello \t  World  ", "Hello World", false},
		{"=?UTF-8?Q?Re:_Caf=C3=A9?=", "Café", true},
		{"", "", false},
		{"Re:", "", true},
		{"[fwd: x", "[fwd: x", false},
		{"[unclosed Re: x", "[unclosed Re: x", false},
	}
	for _, c := range cases {
		got, reply := BaseSubject(c.in)
		if got != c.want || reply != c.reply {
			t.Errorf("BaseSubject(%q) = %q, %v; want %q, %v", c.in, got, reply, c.want, c.reply)
		}
	}
}

func TestCollate(t *testing.T) {
	if Collate("hello") != Collate("HELLO") || Collate("ǆ") != Collate("ǅ") || Collate("é") != Collate("É") {
		t.Error("case variants collate differently")
	}
	if Collate("a") >= Collate("B") {
		t.Error("a should sort before B")
	}
	// NFKD: precomposed and decomposed forms are one; the ligature is
	// decomposed after the titlecase map (RFC 5051 §2), so stays lower.
	if Collate("caf\u00e9") != Collate("CAFE\u0301") || Collate("\ufb01") != "fi" {
		t.Errorf("NFKD: %q vs %q; %q", Collate("caf\u00e9"), Collate("CAFE\u0301"), Collate("\ufb01"))
	}
}

func msg(idx int, id string, refs []string, subj string, sent int64) Msg {
	m := Msg{Index: idx, MessageID: id, Refs: refs, Sent: sent}
	base, reply := BaseSubject(subj)
	m.Base, m.Reply = Collate(base), reply
	return m
}

func threads(roots []*Node) string {
	return string(AppendThreads(nil, roots, func(i int) uint32 { return uint32(i + 1) }))
}

func TestReferences(t *testing.T) {
	cases := []struct {
		name string
		msgs []Msg
		want string
	}{
		{"chain and branch", []Msg{
			msg(0, "a", nil, "x", 1),
			msg(1, "b", []string{"a"}, "Re: x", 2),
			msg(2, "c", []string{"a", "b"}, "Re: x", 3),
			msg(3, "d", []string{"a"}, "Re: x", 4),
			msg(4, "e", nil, "other", 5),
		}, "(1 (2 3)(4))(5)"},
		{"missing parent: dummy root with two children", []Msg{
			msg(0, "b", []string{"a"}, "Re: x", 1),
			msg(1, "c", []string{"a"}, "Re: y", 2),
		}, "((1)(2))"},
		{"missing parent with one child: promoted", []Msg{
			msg(0, "b", []string{"a"}, "Re: x", 1),
		}, "(1)"},
		{"loop in references", []Msg{
			msg(0, "a", []string{"b"}, "s1", 1),
			msg(1, "b", []string{"a"}, "s2", 2),
		}, "(2 1)"},
		{"self reference", []Msg{
			msg(0, "a", []string{"a"}, "s", 1),
		}, "(1)"},
		{"duplicate message-id", []Msg{
			msg(0, "a", nil, "s", 1),
			msg(1, "a", nil, "t", 2),
		}, "(1)(2)"},
		{"same subject merged under a dummy", []Msg{
			msg(0, "a", nil, "hello", 1),
			msg(1, "b", nil, "hello", 2),
		}, "((1)(2))"},
		{"reply merged under original by subject", []Msg{
			msg(0, "a", nil, "hello", 1),
			msg(1, "b", nil, "Re: hello", 2),
		}, "(1 2)"},
		{"sibling order by sent date, then mailbox order", []Msg{
			msg(0, "a", nil, "x", 5),
			msg(1, "b", []string{"a"}, "y", 9),
			msg(2, "c", []string{"a"}, "z", 7),
			msg(3, "d", []string{"a"}, "w", 7),
		}, "(1 (3)(4)(2))"},
		{"roots by date", []Msg{
			msg(0, "a", nil, "x", 9),
			msg(1, "b", nil, "y", 1),
		}, "(2)(1)"},
	}
	for _, c := range cases {
		if got := threads(References(c.msgs)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestOrderedSubject(t *testing.T) {
	msgs := []Msg{
		msg(0, "", nil, "b", 3),
		msg(1, "", nil, "Re: a", 2),
		msg(2, "", nil, "a", 1),
		msg(3, "", nil, "B", 4),
		msg(4, "", nil, "Re: b", 1),
		msg(5, "", nil, "c", 0),
	}
	if got, want := threads(OrderedSubject(msgs)), "(6)(3 2)(5 (1)(4))"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSort(t *testing.T) {
	meta := func(subj, from, date string) *msgmeta.Meta {
		return msgmeta.ParseBytes([]byte("Subject: " + subj + "\r\nFrom: " + from + "\r\nDate: " + date + "\r\n\r\nx"))
	}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	need := Need{Keys: []Key{Subject, From, DisplayFrom}}
	msgs := []Msg{
		NewMsg(0, meta("Re: b", "Zed <alice@x>", "Wed, 1 Jan 2020 10:00:00 +0000"), day, 30, need),
		NewMsg(1, meta("a", "bob@x", "Wed, 1 Jan 2020 09:00:00 -0200"), day, 10, need),
		NewMsg(2, meta("B", "Amy <carol@x>", "garbage"), day.Add(time.Hour), 20, need),
	}
	order := func(crit ...Criterion) []int32 { return Sort(msgs, crit) }
	check := func(name string, got []int32, want ...int32) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v", name, got)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", name, got, want)
				return
			}
		}
	}
	check("SUBJECT", order(Criterion{Key: Subject}), 1, 0, 2)
	check("REVERSE SUBJECT", order(Criterion{Key: Subject, Reverse: true}), 0, 2, 1)
	// 09:00 -0200 is 11:00 UTC; a missing Date is the internal date (00:00 + 1h).
	check("DATE", order(Criterion{Key: Date}), 2, 0, 1)
	check("SIZE", order(Criterion{Key: Size}), 1, 2, 0)
	check("ARRIVAL", order(Criterion{Key: Arrival}), 0, 1, 2)
	check("FROM", order(Criterion{Key: From}), 0, 1, 2)
	check("DISPLAYFROM", order(Criterion{Key: DisplayFrom}), 2, 1, 0)
}

// TestReferencesLongChain: a chain of 200,000 replies threads in linear
// time (the loop check does not walk to the root for each link: it took
// 11 s for 100,000 when it did, quadratic; 0.6 s now) and comes out as
// one thread, in order.
func TestReferencesLongChain(t *testing.T) {
	const n = 200000
	msgs := make([]Msg, n)
	for i := range msgs {
		var refs []string
		if i > 0 {
			refs = []string{strconv.Itoa(i - 1)}
		}
		msgs[i] = msg(i, strconv.Itoa(i), refs, "s", int64(i))
	}
	done := make(chan string)
	go func() { done <- threads(References(msgs)) }()
	select {
	case out := <-done:
		if !strings.HasPrefix(out, "(1 2 3 ") || !strings.HasSuffix(out, " 199999 200000)") || strings.Count(out, "(") != 1 {
			t.Errorf("chain: %.40s...%s", out, out[len(out)-40:])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("threading a 200,000-message chain took over 10 s")
	}
}

// TestReferencesReversedChain: the same chain delivered newest first
// (each parent arrives after its child, so the loop check has to walk):
// still one thread, within the time bound.
func TestReferencesReversedChain(t *testing.T) {
	const n = 20000
	msgs := make([]Msg, n)
	for i := range msgs {
		id := n - 1 - i
		var refs []string
		if id > 0 {
			refs = []string{strconv.Itoa(id - 1)}
		}
		msgs[i] = msg(i, strconv.Itoa(id), refs, "s", int64(id))
	}
	done := make(chan string)
	go func() { done <- threads(References(msgs)) }()
	select {
	case out := <-done:
		if strings.Count(out, "(") != 1 || !strings.HasPrefix(out, "(20000 19999 ") {
			t.Errorf("reversed chain: %.60s...", out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("threading a reversed 20,000-message chain took over a minute")
	}
}
