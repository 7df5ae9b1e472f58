package imapacl

import (
	"errors"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	cases := []struct{ in, canon, wire string }{
		{"", "", ""},
		{"lr", "lr", "lr"},
		{"rl", "lr", "lr"},
		{"lrswipkxtea", "lrswipkxtea", "lrswipkxteacd"},
		{"aetxkpiwsrl", "lrswipkxtea", "lrswipkxteacd"},
		// RFC 4314 §2.1.1's example: "lrswida" is "lrswideta" (d = e t).
		{"lrswida", "lrswitea", "lrswitead"},
		{"c", "kx", "kxc"},
		{"k", "k", "kc"},
		{"e", "e", "ed"},
		{"lll", "l", "l"},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if r.String() != c.canon || r.Wire() != c.wire {
			t.Errorf("Parse(%q) = %q / %q, want %q / %q", c.in, r.String(), r.Wire(), c.canon, c.wire)
		}
	}
	for _, bad := range []string{"z", "lrZ", "L", "l r", "+l", "1"} {
		if _, err := Parse(bad); !errors.Is(err, ErrUnknownRight) {
			t.Errorf("Parse(%q) = %v, want ErrUnknownRight", bad, err)
		}
	}
	if All.String() != "lrswipkxtea" {
		t.Errorf("All = %q", All.String())
	}
}

func TestModification(t *testing.T) {
	old, _ := Parse("lrs")
	cases := []struct{ in, want string }{
		{"+wi", "lrswi"}, {"-s", "lr"}, {"-", "lrs"}, {"+", "lrs"}, {"a", "a"}, {"", ""}, {"-d", "lrs"},
		{"+d", "lrste"},
	}
	for _, c := range cases {
		m, err := ParseModification(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := m.Apply(old).String(); got != c.want {
			t.Errorf("%q on lrs = %q, want %q", c.in, got, c.want)
		}
	}
	if _, err := ParseModification("+q"); err == nil {
		t.Error("+q accepted")
	}
}

func TestIdentifier(t *testing.T) {
	if id, err := ParseIdentifier("AnyOne"); err != nil || !id.Anyone {
		t.Errorf("anyone: %+v %v", id, err)
	}
	if id, err := ParseIdentifier("Bob@Example.ORG"); err != nil || id.Address != "bob@example.org" {
		t.Errorf("address: %+v %v", id, err)
	}
	if _, err := ParseIdentifier("-bob@example.org"); !errors.Is(err, ErrNegative) {
		t.Errorf("negative: %v", err)
	}
	for _, bad := range []string{"", "bob", "@x", "bob@", "a b@x"} {
		if _, err := ParseIdentifier(bad); !errors.Is(err, ErrIdentifier) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestTable checks the rights of RFC 4314 §4 for each command: the
// needed rights allow it, each one taken away refuses it.
func TestTable(t *testing.T) {
	want := map[Command]string{
		List: "l", Subscribe: "l", Create: "k", Delete: "x", RenameFrom: "x", RenameTo: "k",
		Select: "r", Status: "r", ACLAdmin: "a", AppendTo: "i", ExpungeMsgs: "e",
		MoveFrom: "te", GetMetadata: "lr", SetMetadata: "lw",
	}
	for cmd, letters := range want {
		r, _ := Parse(letters)
		if Needs(cmd) != r {
			t.Errorf("command %d needs %q, want %q", cmd, Needs(cmd), letters)
		}
		if !Allows(r, cmd) || !Allows(All, cmd) {
			t.Errorf("command %d refused with %q", cmd, letters)
		}
		for i := range len(letters) {
			one, _ := Parse(letters[i : i+1])
			if Allows(All&^one, cmd) {
				t.Errorf("command %d allowed without %q", cmd, letters[i:i+1])
			}
		}
	}
	if Allows(0, MyRights) || !Allows(Post, MyRights) {
		t.Error("MYRIGHTS needs any right")
	}
	if FlagRights(FlagSeen|FlagDeleted|FlagOther) != Seen|DeleteMessage|Write || FlagRights(0) != 0 {
		t.Error("FlagRights")
	}
	if !ReadOnly(Lookup|Read|Post) || ReadOnly(Lookup|Read|Seen) {
		t.Error("ReadOnly")
	}
	if Visible(Insert) || !Visible(Lookup) || !Visible(Read) {
		t.Error("Visible")
	}
}
