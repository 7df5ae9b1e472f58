package imapd

import (
	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// UIDONLY (RFC 9586). Once ENABLEd, sequence numbers are gone from the
// session: a command that takes them is refused with BAD [UIDREQUIRED]
// (§3), expunges are announced by VANISHED (§3.2) and FETCH responses
// become UIDFETCH responses numbered by UID (§3.3), without the UID data
// item that the number already gives (it stays when the client asks for
// it by name).

var uidRequired = respBADCode("UIDREQUIRED", "Message sequence numbers are disabled by UIDONLY")

// refuseSeqNums refuses, under UIDONLY, the non-UID form of the commands
// that take sequence numbers (FETCH, STORE, SEARCH, COPY, MOVE, REPLACE,
// and those added later with a UID form); EXPUNGE takes none.
func (s *session) refuseSeqNums(c *command) (status, bool) {
	if !s.uidOnly || c.uid || c.spec.flags&uidForm == 0 || c.name == "EXPUNGE" {
		return status{}, false
	}
	return uidRequired, true
}

// usesSeqNums reports whether a search key names messages by sequence
// number (a sequence set; "$" is the saved result, which is UIDs).
func usesSeqNums(k *imapmsg.SearchKey) bool {
	if k.Kind == imapmsg.SeqSet && k.Text != savedMark {
		return true
	}
	for i := range k.Children {
		if usesSeqNums(&k.Children[i]) {
			return true
		}
	}
	return false
}

// fetchHead starts a FETCH response: "* seq FETCH (", or under UIDONLY
// "* uid UIDFETCH (". It reports whether the response is a UIDFETCH
// (whose UID item is then left out unless asked for).
func (s *session) fetchHead(seq int, uid store.UID) bool {
	s.w.raw("* ")
	if s.uidOnly {
		s.w.num32(uint32(uid))
		s.w.raw(" UIDFETCH (")
		return true
	}
	s.w.num(uint64(seq))
	s.w.raw(" FETCH (")
	return false
}
