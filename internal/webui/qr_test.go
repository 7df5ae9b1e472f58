package webui

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/autoconfig"
	"github.com/petrelmail/petrel/internal/config"
	qr "github.com/piglig/go-qr"
)

var qrSquare = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)

// drawQR paints the path of q into an image, scale pixels a module, the
// way a browser draws the SVG.
func drawQR(t *testing.T, q *qrImage, scale int) image.Image {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, q.Size*scale, q.Size*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	rest := qrSquare.ReplaceAllString(q.Path, "")
	if rest != "" {
		t.Fatalf("the path has more than unit squares: %.80q", rest)
	}
	for _, m := range qrSquare.FindAllStringSubmatch(q.Path, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		for dy := range scale {
			for dx := range scale {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	return img
}

// The QR code drawn on the account page decodes to the URL of the
// account's profile.
func TestQRDecodes(t *testing.T) {
	s := autoconfig.FromListen("mail.example.org", config.Listen{IMAPS: []string{":993"}, Submissions: []string{":465"}})
	want := "https://mail.example.org/apple/mail.mobileconfig?emailaddress=b%2Bx%40example.org"
	if got := profileURL(s, "b+x@example.org"); got != want {
		t.Fatalf("profile URL %q, want %q", got, want)
	}
	q, err := newQR(want)
	must(t, err)
	got, err := qr.Decode(drawQR(t, q, 4))
	if err != nil || got != want {
		t.Errorf("decoded %q, %v; want %q", got, err, want)
	}
	if !strings.HasPrefix(q.Path, "M4 4h1v1h-1z") {
		t.Errorf("the finder pattern does not start at the quiet zone's corner: %.40q", q.Path)
	}
}
