package msgmeta

import "testing"

func TestFind(t *testing.T) {
	leaf := func(sub string) Part { return Part{Type: "text", Subtype: sub} }
	msg := func(body Part) Part {
		return Part{Type: "message", Subtype: "rfc822", Message: &Meta{Body: body}}
	}
	multi := func(ch ...Part) Part { return Part{Type: "multipart", Subtype: "mixed", Children: ch} }
	root := multi(
		leaf("1"),
		msg(multi(leaf("2.1"), leaf("2.2"))),
		msg(leaf("3.1")),
		multi(leaf("4.1"), leaf("4.2")),
	)
	topMsg := msg(leaf("inner"))
	single := leaf("single")
	tests := []struct {
		root *Part
		path []int
		want string // Subtype of the part found, "" for nil
	}{
		{&single, nil, "single"},
		{&single, []int{1}, "single"},
		{&single, []int{2}, ""},
		{&single, []int{1, 1}, ""},
		{&single, []int{0}, ""},
		{&root, nil, "mixed"},
		{&root, []int{1}, "1"},
		{&root, []int{2}, "rfc822"},
		{&root, []int{2, 1}, "2.1"},
		{&root, []int{2, 2}, "2.2"},
		{&root, []int{2, 3}, ""},
		{&root, []int{2, 1, 1}, ""},
		{&root, []int{3, 1}, "3.1"},
		{&root, []int{3, 2}, ""},
		{&root, []int{4, 2}, "4.2"},
		{&root, []int{4, 1, 1}, ""},
		{&root, []int{1, 1}, ""},
		{&root, []int{5}, ""},
		{&root, []int{-1}, ""},
		{&topMsg, []int{1}, "rfc822"},
		{&topMsg, []int{1, 1}, "inner"},
		{&topMsg, []int{2}, ""},
	}
	for _, tt := range tests {
		got := ""
		if p := tt.root.Find(tt.path); p != nil {
			got = p.Subtype
		}
		if got != tt.want {
			t.Errorf("%s.Find(%v) = %q, want %q", tt.root.Subtype, tt.path, got, tt.want)
		}
	}
}
