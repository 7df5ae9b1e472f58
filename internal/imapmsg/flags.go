package imapmsg

import (
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

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
	for _, sf := range store.SystemFlags() {
		if f&sf.Flag != 0 {
			sep()
			dst = append(dst, sf.Name...)
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

// InternalDate formats an INTERNALDATE (RFC 9051 §9 date-time), quotes
// included: "26-Nov-2026 01:02:03 +0100". The day is space-padded
// (date-day-fixed); the zone is t's own.
func InternalDate(t time.Time) string {
	return t.Format(`"_2-Jan-2006 15:04:05 -0700"`)
}
