package imapd

import (
	"github.com/petrelmail/petrel/internal/imapmsg"
)

// SAVEDATE (RFC 8514). The store keeps when each message entered its
// mailbox (store.Message.SaveDate): delivery, APPEND, COPY and MOVE (the
// new copy's is the time of the copy); an import keeps the source's. The
// messages stored before it did have their internal date as save date,
// the best date known (store.SaveDateOf), so every message has one and
// every mailbox supports the attribute (§3): FETCH SAVEDATE is never NIL
// (§4.1) and SAVEDATESUPPORTED matches every message (§4.2).

// saveDateKey reads the argument of SAVEDBEFORE, SAVEDON or SAVEDSINCE
// (RFC 8514 §4.2): a date, compared with the save date's (in UTC).
func (r *reader) saveDateKey(name string) (imapmsg.SearchKey, error) {
	kind := map[string]imapmsg.SearchKind{"SAVEDBEFORE": imapmsg.SavedBefore, "SAVEDON": imapmsg.SavedOn,
		"SAVEDSINCE": imapmsg.SavedSince}[name]
	d, err := r.searchDate()
	return imapmsg.SearchKey{Kind: kind, Date: d}, err
}

// saveDateSupported is SAVEDATESUPPORTED (RFC 8514 §4.2): every mailbox
// supports the save date, so it matches every message.
func saveDateSupported() imapmsg.SearchKey {
	return imapmsg.SearchKey{Kind: imapmsg.All}
}
