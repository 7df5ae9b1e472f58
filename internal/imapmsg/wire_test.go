package imapmsg

import (
	"bytes"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func TestWriteString(t *testing.T) {
	cases := []struct {
		in   string
		utf8 bool
		want string
	}{
		{"plain", false, `"plain"`},
		{`a "q" \ b`, false, `"a \"q\" \\ b"`},
		{"", false, `""`},
		{"nul\x00gone", false, `"nulgone"`},
		{"two\r\nlines", false, "{10}\r\ntwo\r\nlines"},
		{"lone\rcr", true, "{7}\r\nlone\rcr"},
		{"tab\there", false, "\"tab\there\""},
		{"Grüße", true, `"Grüße"`},
		{"Grüße", false, `"=?utf-8?q?Gr=C3=BC=C3=9Fe?="`},
		{"bad\xffutf8", false, `"=?utf-8?q?bad=EF=BF=BDutf8?="`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		writeString(&b, c.in, c.utf8)
		if b.String() != c.want {
			t.Errorf("writeString(%q, %v) = %q, want %q", c.in, c.utf8, b.String(), c.want)
		}
	}
	var b bytes.Buffer
	writeNString(&b, "", true)
	if b.String() != "NIL" {
		t.Errorf("writeNString(\"\") = %q", b.String())
	}
}

func TestFlagsList(t *testing.T) {
	cases := []struct {
		f      store.Flags
		kw     []string
		recent bool
		want   string
	}{
		{0, nil, false, "()"},
		{store.FlagSeen | store.FlagFlagged, []string{"$Label"}, false, `(\Seen \Flagged $Label)`},
		{store.FlagAnswered | store.FlagDeleted | store.FlagDraft, nil, true, `(\Answered \Deleted \Draft \Recent)`},
		{0, []string{"ok", "not atom", `\Fake`, "a]b", ""}, false, "(ok)"},
	}
	for _, c := range cases {
		if got := FlagsList(c.f, c.kw, c.recent); got != c.want {
			t.Errorf("FlagsList(%b, %q, %v) = %s, want %s", c.f, c.kw, c.recent, got, c.want)
		}
	}
}

func TestInternalDate(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 1, 2, 3, 0, time.FixedZone("", 3600)), `"26-Nov-2026 01:02:03 +0100"`},
		// date-day-fixed: a one-digit day is space-padded (RFC 9051 §9).
		{time.Date(2024, 6, 3, 23, 30, 0, 0, time.FixedZone("", -5*3600-1800)), `" 3-Jun-2024 23:30:00 -0530"`},
		{time.Date(2024, 1, 9, 0, 0, 0, 0, time.UTC), `" 9-Jan-2024 00:00:00 +0000"`},
	}
	for _, c := range cases {
		if got := InternalDate(c.t); got != c.want {
			t.Errorf("InternalDate(%v) = %s, want %s", c.t, got, c.want)
		}
	}
}
