package mtasts

import (
	"slices"
	"testing"
)

// FuzzParsePolicy: the parser never panics, and a policy it accepts
// comes back the same from its own Text, with patterns MatchMX accepts.
func FuzzParsePolicy(f *testing.F) {
	f.Add("version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.example.org\r\nmax_age: 604800\r\n")
	f.Add("version: STSv1\nmode: none\nmax_age: 0")
	f.Add("version: STSv1\nmode: testing\nx: y\nmx: a.b\nmax_age: 9999999999\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(text)
		if err != nil {
			return
		}
		back, err := ParsePolicy(p.Text())
		if err != nil || back.Mode != p.Mode || back.MaxAge != p.MaxAge || !slices.Equal(back.MX, p.MX) {
			t.Fatalf("%q parsed to %+v; its text %q to %+v, %v", text, p, p.Text(), back, err)
		}
		for _, mx := range p.MX {
			host := mx
			if mx[0] == '*' {
				host = "x" + mx[1:]
			}
			if !p.MatchMX(host) {
				t.Fatalf("pattern %q does not match %q", mx, host)
			}
		}
	})
}

// FuzzParseRecord: the parser never panics, and an id it accepts is 1 to
// 32 letters and digits.
func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20260101T000000;")
	f.Add("v=STSv1;id=a;ext=b")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseRecord(txt)
		if err == nil && !validID(rec.ID) {
			t.Fatalf("%q gave id %q", txt, rec.ID)
		}
	})
}
