package msgmeta

import (
	"strings"
	"testing"
)

func TestParseContentType(t *testing.T) {
	tests := []struct {
		in, want string // want: "type/subtype params", or "" when invalid
	}{
		{"text/plain", "text/plain "},
		{"TEXT/Plain; CHARSET=UTF-8", "TEXT/Plain charset=UTF-8"},
		{`text/plain; charset="us-ascii" (Plain text)`, "text/plain charset=us-ascii"},
		{"text / plain ; charset = utf-8", "text/plain charset=utf-8"},
		{"multipart/mixed; boundary=----=_NextPart_000_0001", "multipart/mixed boundary=----=_NextPart_000_0001"},
		{`multipart/mixed; boundary="a;b"; x=1`, "multipart/mixed boundary=a;b;x=1"},
		{"application/pdf; name=my file.pdf", "application/pdf name=my file.pdf"},
		{"text/plain; junk; charset=utf-8; =x; y", "text/plain charset=utf-8"},
		{"text/plain; charset=a; charset=b", "text/plain charset=a"},
		{"text/plain;; ;charset=utf-8;", "text/plain charset=utf-8"},
		{`text/plain; name="=?utf-8?q?f=C3=BC?="`, "text/plain name==?utf-8?q?f=C3=BC?="},
		// RFC 2231 §3: continuations, out of order, the *-form wins.
		{`a/b; title*1=" world"; title*0="hello"; title=plain`, "a/b title=hello world"},
		{"a/b; t*0=a; t*2=c", "a/b t=a"},
		// RFC 2231 §4: charset and language.
		{"a/b; t*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "a/b t=This is ***fun***"},
		{"a/b; t*0*=iso-8859-1'fr'r%E9; t*1=sum; t*2*=%E9", "a/b t=résumé"},
		{"a/b; t*=''no%20charset", "a/b t=no charset"},
		{"a/b; t*=noquotes", "a/b t=noquotes"},
		{"a/b; t*=x-nope'de'%E9; t*1=z", "a/b t*=x-nope'de'%E9"},
		{"a/b; t*0*=x-nope''%E9; t*1=a b", "a/b t*=x-nope''%E9a%20b"},
		{"a/b; t*=utf-8''%FF", "a/b t=\uFFFD"},
		{"text", ""},
		{"text/", ""},
		{"/plain", ""},
		{"", ""},
	}
	for _, tt := range tests {
		typ, sub, params, ok := parseContentType(tt.in)
		got := ""
		if ok {
			got = typ + "/" + sub + " " + paramString(params)
		}
		if got != tt.want {
			t.Errorf("parseContentType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestApplyMIMEDefaults(t *testing.T) {
	tests := []struct {
		header string
		digest bool
		want   string
	}{
		{"", false, "text/plain charset=us-ascii 7BIT"},
		{"", true, "message/rfc822  7BIT"},
		{"Content-Type: garbage\r\n", true, "text/plain charset=us-ascii 7BIT"},
		{"Content-Type: text/html\r\nContent-Transfer-Encoding: Base64 (yes)\r\n", false, "text/html  Base64"},
		{"Content-Transfer-Encoding:\r\n", false, "text/plain charset=us-ascii 7BIT"},
	}
	for _, tt := range tests {
		raw := []byte(tt.header + "\r\n")
		h := scanHeader(raw, 0, len(raw))
		var p Part
		applyMIME(&p, &h, tt.digest)
		if got := p.Type + "/" + p.Subtype + " " + paramString(p.Params) + " " + p.Encoding; got != tt.want {
			t.Errorf("%q: %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	got := strings.Join(parseLanguage(" en-US, (comment) fr ,,\"x\", de"), "|")
	if want := "en-US|fr|x|de"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"=?utf-8?q?caf=C3=A9?=", "café"},
		{"=?UTF-8?B?Y2Fmw6k=?=", "café"},
		{"=?UTF-8?B?Y2Fmw6k?=", "café"},
		{"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
		{"=?utf-8?q?a?=\t =?utf-8?q?_b?=", "a b"},
		{"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
		{"=?utf-8?q?a?==?utf-8?q?b?=", "ab"},
		{"=?utf-8*en?q?a?=", "a"},
		{"=?iso-8859-1?q?=E9t=E9?=", "été"},
		{"=?windows-1252?q?=80?=", "€"},
		{"=?x-unknown?q?abc?= =?utf-8?q?d?=", "=?x-unknown?q?abc?= d"},
		{"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="},
		{"=?utf-8?q?with space?=", "=?utf-8?q?with space?="},
		{"a =? b ?= c", "a =? b ?= c"},
		{"=?utf-8?q?", "=?utf-8?q?"},
		{"=??q?a?=", "=??q?a?="},
		{"=?utf-8?q?=FF?=", "\uFFFD"},
		{"raw \xff byte", "raw \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := decodeWords(tt.in); got != tt.want {
			t.Errorf("decodeWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
