package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

func TestThreadKeys(t *testing.T) {
	meta := func(hdr string) *msgmeta.Meta { return msgmeta.ParseBytes([]byte(hdr + "\r\nbody\r\n")) }
	for _, c := range []struct {
		hdr  string
		want []string
	}{
		{"Subject: none\r\n", nil},
		{"Message-ID: <a@x>\r\n", []string{"a@x"}},
		{"Message-ID: not-an-id\r\nIn-Reply-To: <no-at>\r\n", nil},
		// References (root first), then In-Reply-To, then Message-ID;
		// folded, with comments and phrases around the IDs; duplicates once.
		{"Message-ID: <c@x>\r\nIn-Reply-To: Bob's message <b@x> (sent)\r\nReferences: <root@x>\r\n (comment) <b@x>\r\n",
			[]string{"root@x", "b@x", "c@x"}},
		// White space inside the brackets (RFC 5322 §3.6.4 obsolete syntax) is dropped.
		{"Message-ID: < c @ x >\r\n", []string{"c@x"}},
		// A "<" before the real ID restarts the ID.
		{"In-Reply-To: <broken <p@x>\r\n", []string{"p@x"}},
		{"Message-ID: <" + strings.Repeat("l", 250) + "@x>\r\n", nil},
	} {
		if got := ThreadKeys(meta(c.hdr)); !slices.Equal(got, c.want) {
			t.Errorf("%q: ThreadKeys = %q, want %q", c.hdr, got, c.want)
		}
	}
	var refs []string
	for i := 0; i < 100; i++ {
		refs = append(refs, fmt.Sprintf("<r%d@x>", i))
	}
	got := ThreadKeys(meta("Message-ID: <me@x>\r\nIn-Reply-To: <r99@x>\r\nReferences: " + strings.Join(refs, " ") + "\r\n"))
	// The root, the last 30 References (In-Reply-To r99 among them), and
	// the own ID.
	if len(got) != 32 || got[0] != "r0@x" || got[1] != "r70@x" || got[30] != "r99@x" || got[31] != "me@x" {
		t.Fatalf("100 References: %d keys %q", len(got), got)
	}
	refs = refs[:0]
	for i := 0; i < 20000; i++ {
		refs = append(refs, fmt.Sprintf("<h%d@x>", i))
	}
	got = ThreadKeys(meta("References: " + strings.Join(refs, " ") + "\r\n"))
	if len(got) != 32 || got[0] != "h0@x" || got[31] != "h19999@x" {
		t.Fatalf("20,000 References: %d keys, %q ... %q", len(got), got[0], got[len(got)-1])
	}
	if ThreadKeys(nil) != nil {
		t.Fatal("ThreadKeys(nil) is not nil")
	}
}

func TestObjectIDs(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{EmailID(1).String(), "M1"}, {EmailID(36).String(), "M10"}, {ThreadID(35).String(), "Tz"},
		{EmailID(1<<63 - 1).String(), "M1y2p0ij32e8e7"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
