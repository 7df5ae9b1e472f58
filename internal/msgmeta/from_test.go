package msgmeta

import (
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/header/headertest"
)

// The IMAP ENVELOPE lists the authors the From rule of package header
// reads (every address of every From field), on the tricky cases every
// reader of that rule is tested on.
func TestEnvelopeFromAgrees(t *testing.T) {
	for _, c := range headertest.FromCases(t) {
		if !c.Readable && c.Fields < 2 {
			continue // nothing readable to compare: msgmeta shows what it can
		}
		m := ParseBytes([]byte(c.Header + "\r\nbody\r\n"))
		var got []string
		for _, a := range m.Envelope.From {
			if a.Host != "" { // not a group marker
				got = append(got, a.Mailbox+"@"+a.Host)
			}
		}
		if !slices.Equal(got, c.Authors) {
			t.Errorf("%s: ENVELOPE from %q, want %q", c.Name, got, c.Authors)
		}
	}
}
