package imapmsg

import (
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// namedFlag names a system flag of RFC 9051 §2.3.2.
type namedFlag struct {
	flag store.Flags
	name string
}

// systemFlags returns the system flags in the order FLAGS lists them.
func systemFlags() [5]namedFlag {
	return [5]namedFlag{
		{store.FlagSeen, `\Seen`},
		{store.FlagAnswered, `\Answered`},
		{store.FlagFlagged, `\Flagged`},
		{store.FlagDeleted, `\Deleted`},
		{store.FlagDraft, `\Draft`},
	}
}

// FlagsList formats the FLAGS of a message (RFC 9051 §7.5.2, §9
// flag-fetch): "(\Seen \Flagged $Label)", the system flags first, then
// \Recent (RFC 3501 §2.3.2, a session property), then the keywords.
// A keyword that is not an atom cannot be written and is left out.
func FlagsList(f store.Flags, keywords []string, recent bool) string {
	return string(AppendFlagsList(nil, f, keywords, recent))
}

// AppendFlagsList appends FlagsList's text to dst: a FETCH of the flags
// of a large mailbox writes one per message.
func AppendFlagsList(dst []byte, f store.Flags, keywords []string, recent bool) []byte {
	dst = append(dst, '(')
	start := len(dst)
	sep := func() {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
	}
	for _, sf := range systemFlags() {
		if f&sf.flag != 0 {
			sep()
			dst = append(dst, sf.name...)
		}
	}
	if recent {
		sep()
		dst = append(dst, `\Recent`...)
	}
	for _, kw := range keywords {
		if isAtom(kw) && !strings.HasPrefix(kw, `\`) {
			sep()
			dst = append(dst, kw...)
		}
	}
	return append(dst, ')')
}

// systemFlag returns the system flag named name (case-insensitive, RFC
// 9051 §2.3.2).
func systemFlag(name string) (store.Flags, bool) {
	for _, sf := range systemFlags() {
		if strings.EqualFold(sf.name, name) {
			return sf.flag, true
		}
	}
	return 0, false
}

// InternalDate formats an INTERNALDATE (RFC 9051 §9 date-time), quotes
// included: "26-Nov-2026 01:02:03 +0100". The day is space-padded
// (date-day-fixed); the zone is t's own.
func InternalDate(t time.Time) string {
	return t.Format(`"_2-Jan-2006 15:04:05 -0700"`)
}
