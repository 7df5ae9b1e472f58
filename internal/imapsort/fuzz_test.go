package imapsort

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzBaseSubject: extraction never panics, leaves no space at either
// end, keeps valid UTF-8 valid, and is idempotent (RFC 5256 §2.1 removes
// every leader and trailer it can, so a second pass finds none).
func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: [list] Fwd: x (fwd)", "[fwd: [a] re[2]: b]", "[", "[]", "Re:", " ( fwd)", "[fwd:]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		base, _ := BaseSubject(s)
		if strings.HasPrefix(base, " ") || strings.HasSuffix(base, " ") {
			t.Fatalf("%q -> %q has outer space", s, base)
		}
		if utf8.ValidString(s) && !utf8.ValidString(base) {
			t.Fatalf("%q -> invalid UTF-8 %q", s, base)
		}
		if strings.Contains(s, "=?") {
			return // a second pass would decode words the first produced
		}
		if again, _ := BaseSubject(base); again != base {
			t.Fatalf("%q -> %q -> %q", s, base, again)
		}
		_ = Collate(base)
	})
}

// FuzzReferences threads messages whose ids and references come from a
// small alphabet (so loops, duplicates and missing parents abound): every
// message appears exactly once in the thread list, parentheses balance,
// and no thread is empty.
func FuzzReferences(f *testing.F) {
	f.Add([]byte{1, 2, 0, 2, 1, 3, 3, 3, 1})
	f.Add([]byte{0, 0, 0, 5, 5, 5, 9, 9, 9, 2, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		var msgs []Msg
		for i := 0; i+2 < len(data) && len(msgs) < 200; i += 3 {
			m := msg(len(msgs), "", nil, []string{"a", "Re: a", "b", "[x] b (fwd)", ""}[data[i]%5], int64(data[i+2]%4))
			if id := data[i] % 8; id > 0 {
				m.MessageID = strconv.Itoa(int(id))
			}
			for r := data[i+1]; r > 0; r >>= 3 {
				m.Refs = append(m.Refs, strconv.Itoa(int(r%8)))
			}
			msgs = append(msgs, m)
		}
		for _, alg := range []func([]Msg) []*Node{References, OrderedSubject} {
			out := string(AppendThreads(nil, alg(msgs), func(i int) uint32 { return uint32(i + 1) }))
			seen := map[string]int{}
			depth := 0
			for _, tok := range strings.FieldsFunc(out, func(r rune) bool {
				if r == '(' {
					depth++
				} else if r == ')' {
					depth--
				}
				if depth < 0 {
					t.Fatalf("unbalanced: %s", out)
				}
				return r == '(' || r == ')' || r == ' '
			}) {
				seen[tok]++
			}
			if depth != 0 || strings.Contains(out, "()") || len(seen) != len(msgs) {
				t.Fatalf("%d messages: %s", len(msgs), out)
			}
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("message %s %d times: %s", k, n, out)
				}
			}
		}
	})
}
