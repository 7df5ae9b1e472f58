package msgmeta

import (
	"reflect"
	"testing"
)

func TestParseAddressList(t *testing.T) {
	a := func(name, mailbox, host string) Address { return Address{Name: name, Mailbox: mailbox, Host: host} }
	tests := []struct {
		in   string
		want []Address
	}{
		{"", nil},
		{"alice@example.org", []Address{a("", "alice", "example.org")}},
		{"Alice <alice@example.org>", []Address{a("Alice", "alice", "example.org")}},
		{`"Doe, John" <j@x.example>`, []Address{a("Doe, John", "j", "x.example")}},
		{`"Quote \"me\"" <q@x.example>`, []Address{a(`Quote "me"`, "q", "x.example")}},
		{"j@x.example (John Doe)", []Address{a("John Doe", "j", "x.example")}},
		{"(John Doe) j@x.example", []Address{a("John Doe", "j", "x.example")}},
		{"J. R. R. Tolkien <jrr@x.example>", []Address{a("J. R. R. Tolkien", "jrr", "x.example")}},
		{"=?utf-8?q?J=C3=B6rg?= <j@x.example>", []Address{a("=?utf-8?q?J=C3=B6rg?=", "j", "x.example")}},
		{"john . doe @ example . org", []Address{a("", "john.doe", "example.org")}},
		{`"john doe"@example.org`, []Address{a("", `"john doe"`, "example.org")}},
		{"a@x.example,,, b@y.example", []Address{a("", "a", "x.example"), a("", "b", "y.example")}},
		{"a@x.example b@y.example", []Address{a("", "a", "x.example"), a("", "b", "y.example")}},
		{"<a@x.example, b@y.example>", []Address{a("", "a", "x.example"), a("", "b", "y.example")}},
		{"user@[192.0.2.1]", []Address{a("", "user", "[192.0.2.1]")}},
		{"root", []Address{a("", "root", missingDomain)}},
		{"Nobody <>", []Address{a("Nobody", missingMailbox, missingDomain)}},
		{"<>", nil},
		{"<user>", []Address{a("", "user", missingDomain)}},
		{"<@a.example,@b.example:u@c.example>", []Address{{Adl: "@a.example,@b.example", Mailbox: "u", Host: "c.example"}}},
		{"undisclosed-recipients:;", []Address{{Mailbox: "undisclosed-recipients"}, {}}},
		{"Friends: a@x.example, B <b@y.example>;", []Address{
			{Mailbox: "Friends"}, a("", "a", "x.example"), a("B", "b", "y.example"), {}}},
		{"Unclosed: a@x.example", []Address{{Mailbox: "Unclosed"}, a("", "a", "x.example"), {}}},
		{": a@x.example;", []Address{{Mailbox: missingMailbox}, a("", "a", "x.example"), {}}},
		{"A: B: c@x.example;;", []Address{{Mailbox: "A"}, a("", "c", "x.example"), {}}},
		{"\"unterminated <a@x.example>", []Address{a("", "unterminated <a@x.example>", missingDomain)}},
		{"(unterminated comment a@x.example", nil},
		{"a@x.example\x00\xff, b@y.example", []Address{a("", "a", "x.example\x00\uFFFD"), a("", "b", "y.example")}},
	}
	for _, tt := range tests {
		if got := parseAddressList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseAddressList(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseAddressListLimit(t *testing.T) {
	in := "G:"
	for range maxAddresses * 2 {
		in += "a@b,"
	}
	got := parseAddressList(in)
	if len(got) != maxAddresses+1 || got[len(got)-1] != (Address{}) {
		t.Errorf("%d addresses, last %+v", len(got), got[len(got)-1])
	}
}
