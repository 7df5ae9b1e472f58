package msgauth

import (
	"strings"
	"testing"
)

func TestPvalue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"alice@example.com", "alice@example.com"},
		{"o'brien+tag@example.com", "o'brien+tag@example.com"},
		{"a b@example.com", `"a b@example.com"`},
		{`"quoted"@example.com`, `"\"quoted\"@example.com"`},
		{"[192.0.2.1]", `"[192.0.2.1]"`},
		{"abc/def+gh=", `"abc/def+gh="`},
		{"ab+cd", "ab+cd"},
		{"evil\r\nX-Injected: yes", `"evilX-Injected: yes"`},
		{`back\slash`, `"back\\slash"`},
		{"jürgen@bücher.example", `"jürgen@bücher.example"`},
		{"a@exa!mple.com", `"a@exa!mple.com"`},
	}
	for _, tt := range tests {
		if got := pvalue(tt.in); got != tt.want {
			t.Errorf("pvalue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFormatFieldFolding(t *testing.T) {
	long := strings.Repeat("label.", 20) + "example"
	field := formatField("mx.example.org", []resinfo{
		{method: "spf", result: "none", reason: "HELO is not a fully qualified domain name",
			props: []prop{{"smtp", "helo", "bad\r\nname (x)"}}},
		{method: "dkim", result: "pass", props: []prop{{"header", "d", long}, {"header", "s", "sel"}}},
		{method: "dmarc", result: "fail", comment: "p=reject (x) dis=none", reason: "a; b",
			props: []prop{{"header", "from", ""}}},
	})
	want := "Authentication-Results: mx.example.org;\r\n" +
		"\tspf=none reason=\"HELO is not a fully qualified domain name\"\r\n" +
		"\tsmtp.helo=\"badname (x)\";\r\n" +
		"\tdkim=pass\r\n" +
		"\theader.d=" + long + "\r\n" +
		"\theader.s=sel;\r\n" +
		"\tdmarc=fail (p=reject \\(x\\) dis=none) reason=\"a, b\"\r\n"
	if field != want {
		t.Errorf("formatField =\n%s\nwant\n%s", field, want)
	}
	if got := formatField("mx.example.org", nil); got != "Authentication-Results: mx.example.org; none\r\n" {
		t.Errorf("no results: %q", got)
	}
}
