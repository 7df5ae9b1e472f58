package webui

import (
	"fmt"
	"net/url"
	"strings"

	qr "github.com/piglig/go-qr"

	"github.com/petrelmail/petrel/internal/autoconfig"
)

// qrBorder is the quiet zone around a QR code, in modules (ISO/IEC 18004
// §6.3.8: 4).
const qrBorder = 4

// qrImage is a QR code as an SVG path of its dark modules, drawn in
// the page (no image request, nothing the CSP must allow).
type qrImage struct {
	Size int    // modules, with the quiet zone
	Path string // one unit square per dark module
	URL  string // what it encodes
}

// newQR encodes text (error correction M).
func newQR(text string) (*qrImage, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, err
	}
	n := code.Size()
	var b strings.Builder
	for y := range n {
		for x := range n {
			if code.Module(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+qrBorder, y+qrBorder)
			}
		}
	}
	return &qrImage{Size: n + 2*qrBorder, Path: b.String(), URL: text}, nil
}

// profileURL is where a phone downloads the account's Apple profile
// without logging in (README "Client autoconfiguration"): the URL the
// account page's QR code holds.
func profileURL(s autoconfig.Server, address string) string {
	return "https://" + s.Hostname + autoconfig.PathMobileConfig + "?emailaddress=" + url.QueryEscape(address)
}
