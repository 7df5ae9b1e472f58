package msgmeta

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readTestdata returns the raw bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// crlf turns the LF line ends of s into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// headerOf and bodyOf slice a part's header and body out of raw.
func headerOf(raw []byte, p *Part) string {
	return string(raw[p.Offset : p.Offset+p.HeaderSize])
}

func bodyOf(raw []byte, p *Part) string {
	start := p.Offset + p.HeaderSize
	return string(raw[start : start+p.BodySize])
}

// checkTree checks that the root part spans raw exactly and that every
// part lies within its parent's body, after its previous sibling, and keeps
// the multipart and message invariants.
func checkTree(raw []byte, m *Meta) error {
	b := &m.Body
	if b.Offset != 0 || b.HeaderSize+b.BodySize != int64(len(raw)) {
		return fmt.Errorf("root spans [%d,+%d+%d), input is %d bytes", b.Offset, b.HeaderSize, b.BodySize, len(raw))
	}
	n := 0
	return checkPart(b, 0, int64(len(raw)), &n)
}

func checkPart(p *Part, lo, hi int64, n *int) error {
	*n++
	if *n > maxParts {
		return fmt.Errorf("more than %d parts", maxParts)
	}
	if p.Offset < lo || p.HeaderSize < 0 || p.BodySize < 0 || p.Offset+p.HeaderSize+p.BodySize > hi {
		return fmt.Errorf("part [%d,+%d+%d) outside [%d,%d)", p.Offset, p.HeaderSize, p.BodySize, lo, hi)
	}
	bodyLo := p.Offset + p.HeaderSize
	bodyHi := bodyLo + p.BodySize
	if strings.EqualFold(p.Type, "multipart") != (len(p.Children) > 0) {
		return fmt.Errorf("%s/%s with %d children", p.Type, p.Subtype, len(p.Children))
	}
	if isMessage(p) != (p.Message != nil) {
		return fmt.Errorf("%s/%s with message %v", p.Type, p.Subtype, p.Message != nil)
	}
	prev := bodyLo
	for i := range p.Children {
		c := &p.Children[i]
		if err := checkPart(c, prev, bodyHi, n); err != nil {
			return err
		}
		prev = c.Offset + c.HeaderSize + c.BodySize
	}
	if p.Message != nil {
		mb := &p.Message.Body
		if mb.Offset != bodyLo || mb.Offset+mb.HeaderSize+mb.BodySize != bodyHi {
			return fmt.Errorf("encapsulated message [%d,+%d+%d) is not the body [%d,%d)", mb.Offset, mb.HeaderSize, mb.BodySize, bodyLo, bodyHi)
		}
		return checkPart(mb, bodyLo, bodyHi, n)
	}
	return nil
}

// checkRoundTrip checks that Unmarshal(Marshal(m)) gives m back.
func checkRoundTrip(m *Meta) error {
	b, err := Marshal(m)
	if err != nil {
		return err
	}
	got, err := Unmarshal(b)
	if err != nil {
		return err
	}
	if !sameTime(got.SentDate, m.SentDate) {
		return fmt.Errorf("SentDate %v, want %v", got.SentDate, m.SentDate)
	}
	got.SentDate = m.SentDate
	normalizeTimes(&got.Body, &m.Body)
	if !reflect.DeepEqual(got, m) {
		return fmt.Errorf("round trip differs:\n got %s", b)
	}
	return nil
}

// sameTime compares instants and zone offsets (the location itself does
// not survive JSON).
func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

// normalizeTimes copies the SentDate of encapsulated messages of want into
// got once they compare equal, so that DeepEqual can compare the rest.
func normalizeTimes(got, want *Part) {
	if got.Message != nil && want.Message != nil && sameTime(got.Message.SentDate, want.Message.SentDate) {
		got.Message.SentDate = want.Message.SentDate
		normalizeTimes(&got.Message.Body, &want.Message.Body)
	}
	for i := range got.Children {
		if i < len(want.Children) {
			normalizeTimes(&got.Children[i], &want.Children[i])
		}
	}
}
