package imapsort

import (
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// BaseSubject extracts the base subject of an Envelope's Subject (as
// written, RFC 2047 words undecoded) by the steps of RFC 5256 §2.1, and
// reports whether the subject marked a reply or forward: whether a
// subj-refwd ("Re:", "Fw:", "Fwd:"), a "(fwd)" trailer or a "[fwd: ...]"
// wrapper was removed (RFC 5256 §2.1 note, used by REFERENCES step 5).
// The result is not collated: Collate(base) is the sort key.
func BaseSubject(subject string) (base string, replyOrFwd bool) {
	// (1) RFC 2047 words to UTF-8; tabs and line breaks to spaces, runs of
	// spaces to one.
	s := squeezeSpace(msgmeta.DecodeWords(subject))
	for {
		// (2) Remove trailing subj-trailer ("(fwd)" / WSP), repeatedly.
		for {
			if t := strings.TrimRight(s, " "); t != s {
				s = t
				continue
			}
			if n := len(s); n >= 5 && strings.EqualFold(s[n-5:], "(fwd)") {
				s, replyOrFwd = s[:n-5], true
				continue
			}
			break
		}
		// (3)-(5) Remove subj-leaders and a leading subj-blob until
		// neither matches.
		for {
			if n := leaderLen(s); n > 0 {
				if refwdIn(s[:n]) {
					replyOrFwd = true
				}
				s = s[n:]
				continue
			}
			// (4) A leading subj-blob goes when something is left.
			if n := blobLen(s); n > 0 && n < len(s) {
				s = s[n:]
				continue
			}
			break
		}
		// (6) "[fwd:" ... "]" wraps the whole rest: unwrap and go to (2).
		if n := len(s); n >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[n-1] == ']' {
			s, replyOrFwd = s[5:n-1], true
			continue
		}
		return s, replyOrFwd
	}
}

// squeezeSpace turns tabs, CR and LF into spaces and runs of spaces into
// one (RFC 5256 §2.1 step 1).
func squeezeSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// leaderLen is the length of the subj-leader at the start of s, 0 if
// none (RFC 5256 §5: subj-leader = (*subj-blob subj-refwd) / WSP).
func leaderLen(s string) int {
	if s != "" && s[0] == ' ' {
		return 1
	}
	i := 0
	for {
		n := blobLen(s[i:])
		if n == 0 {
			break
		}
		i += n
	}
	if n := refwdLen(s[i:]); n > 0 {
		return i + n
	}
	return 0
}

// refwdIn reports whether a leader holds a subj-refwd (it ends with ':').
func refwdIn(leader string) bool { return strings.HasSuffix(leader, ":") }

// refwdLen is the length of subj-refwd = ("re" / ("fw" ["d"])) *WSP
// [subj-blob] ":" at the start of s, 0 if none.
func refwdLen(s string) int {
	var i int
	switch {
	case len(s) >= 2 && strings.EqualFold(s[:2], "re"):
		i = 2
	case len(s) >= 3 && strings.EqualFold(s[:3], "fwd"):
		i = 3
	case len(s) >= 2 && strings.EqualFold(s[:2], "fw"):
		i = 2
	default:
		return 0
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	i += blobLen(s[i:])
	if i < len(s) && s[i] == ':' {
		return i + 1
	}
	return 0
}

// blobLen is the length of subj-blob = "[" *BLOBCHAR "]" *WSP at the
// start of s, 0 if none; BLOBCHAR is any CHAR but "[" and "]".
func blobLen(s string) int {
	if s == "" || s[0] != '[' {
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == ']':
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			return i
		case c == '[' || c == 0 || c >= 0x80:
			return 0
		}
	}
	return 0
}
