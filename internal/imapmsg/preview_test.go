package imapmsg

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

func TestPreviewText(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"multibyte cut", "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("é", 300), strings.Repeat("é", 256)},
		{"controls", "\r\n\x01a\x7f\r\n\r\n\tb  ", "a b"},
		{"html comment and entities", "Content-Type: text/html\r\n\r\n<!-- hidden --><b>x</b>&lt;y&gt;", "x <y>"},
		{"unknown encoding", "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uue\r\n\r\nbegin", ""},
		{"qp", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D", "softbreak ="},
		{"nested message skipped for image", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: image/png\r\n\r\nPNG\r\n--x\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--x--\r\n", "second"},
	} {
		meta := msgmeta.ParseBytes([]byte(tc.msg))
		got, err := Preview(meta, strings.NewReader(tc.msg), int64(len(tc.msg)))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if utf8.RuneCountInString(got) > PreviewMax {
			t.Errorf("%s: %d characters", tc.name, utf8.RuneCountInString(got))
		}
	}
}
