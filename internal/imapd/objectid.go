package imapd

import (
	"strconv"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// OBJECTID (RFC 8474): the EMAILID and THREADID of a message are the
// store's EmailID and ThreadID (kept by COPY and MOVE and across restarts,
// docs/architecture.md); the MAILBOXID is made of the mailbox's
// UIDVALIDITY, which RENAME keeps, no other mailbox of the store ever gets
// (store.Mail: a mailbox created again gets a greater one), and a copy
// into another store (petrel store copy) keeps, where the store's
// mailbox IDs are renumbered.

// objectMetaCaps are the capabilities of OBJECTID, PREVIEW, SAVEDATE,
// METADATA, REPLACE, UIDONLY and INPROGRESS (RFC 8474, 8970, 8514, 5464,
// 8508, 9586, 9585).
const objectMetaCaps = " OBJECTID PREVIEW SAVEDATE METADATA REPLACE UIDONLY INPROGRESS"

// mailboxObjectID is a mailbox's MAILBOXID (RFC 8474 §4): "F" and the
// UIDVALIDITY in base 36, an objectid of 1-255 characters of
// [A-Za-z0-9_-] (§3).
func mailboxObjectID(mb store.Mailbox) string {
	return string(strconv.AppendUint([]byte{'F'}, uint64(mb.UIDValidity), 36))
}

// mailboxIDCode is the MAILBOXID response code of CREATE and SELECT (RFC
// 8474 §4.1, §4.2).
func mailboxIDCode(mb store.Mailbox) string {
	return "MAILBOXID (" + mailboxObjectID(mb) + ")"
}

// writeObjectIDItem writes the EMAILID or THREADID FETCH item (RFC 8474
// §5.1, §5.2): THREADID is NIL for a message the store has not threaded
// (§5.2: "NIL ... if the server does not support threads" for it).
func (s *session) writeObjectIDItem(m store.Message, name string) {
	switch name {
	case "EMAILID":
		s.w.raw("EMAILID (" + m.EmailID.String() + ")")
	case "THREADID":
		if m.ThreadID <= 0 {
			s.w.raw("THREADID NIL")
			return
		}
		s.w.raw("THREADID (" + m.ThreadID.String() + ")")
	}
}

// isObjectIDChar reports whether c may appear in an objectid (RFC 8474
// §3: ALPHA / DIGIT / "_" / "-").
func isObjectIDChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// objectIDKey reads the argument of SEARCH EMAILID or THREADID: an
// objectid (RFC 8474 §6), 1 to 255 characters.
func (r *reader) objectIDKey(kind imapmsg.SearchKind) (imapmsg.SearchKey, error) {
	id := r.atomWith(isObjectIDChar)
	if id == "" || len(id) > 255 {
		return imapmsg.SearchKey{}, errSyntax("Expected an objectid")
	}
	return imapmsg.SearchKey{Kind: kind, Text: id}, nil
}
