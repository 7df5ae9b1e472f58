package imapsort

import (
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// msgIDs returns the msg-ids ("<" id-left "@" id-right ">", RFC 5322
// §3.6.4) of a field, without their angle brackets and white space;
// text outside angle brackets (comments, phrases of obsolete In-Reply-To
// fields) is skipped, as are empty ids.
func msgIDs(s string, max int) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return out
		}
		id := strings.Join(strings.Fields(s[i+1:i+j]), "")
		s = s[i+j+1:]
		if id == "" {
			continue
		}
		out = append(out, id)
		if max > 0 && len(out) > max {
			out = out[1:] // keep the last ones: the parent is last
		}
	}
}

// firstID is the first msg-id of a field, "" if none.
func firstID(s string) string {
	i := strings.IndexByte(s, '<')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return ""
	}
	return strings.Join(strings.Fields(s[i+1:i+j]), "")
}

// references are the parent ids of a message, oldest first: those of
// its References field, else the first of In-Reply-To (RFC 5256 §3
// REFERENCES step 1).
func references(m *msgmeta.Meta) []string {
	for _, f := range m.Headers {
		if strings.EqualFold(f.Name, "References") {
			if ids := msgIDs(f.Value, MaxReferences); len(ids) > 0 {
				return ids
			}
			break
		}
	}
	if id := firstID(m.Envelope.InReplyTo); id != "" {
		return []string{id}
	}
	return nil
}
