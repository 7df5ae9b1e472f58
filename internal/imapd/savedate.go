package imapd

import (
	"github.com/petrelmail/petrel/internal/imapmsg"
)

// SAVEDATE (RFC 8514). The store keeps no date of the moment a message
// was saved in its current mailbox: a copy keeps the internal date of its
// original, and APPEND takes the client's. So no mailbox supports the
// save date attribute (§3): FETCH SAVEDATE is NIL (§4.1),
// SAVEDATESUPPORTED matches no message, and SAVEDBEFORE, SAVEDON and
// SAVEDSINCE compare the internal date instead (§4.2). A real save date
// needs a column of the messages table (README "IMAP").

// saveDateKey reads the argument of SAVEDBEFORE, SAVEDON or SAVEDSINCE
// (RFC 8514 §4.2): a date, compared with the internal date.
func (r *reader) saveDateKey(name string) (imapmsg.SearchKey, error) {
	kind := map[string]imapmsg.SearchKind{"SAVEDBEFORE": imapmsg.Before, "SAVEDON": imapmsg.On,
		"SAVEDSINCE": imapmsg.Since}[name]
	d, err := r.searchDate()
	return imapmsg.SearchKey{Kind: kind, Date: d}, err
}

// saveDateSupported is SAVEDATESUPPORTED (RFC 8514 §4.2): no mailbox
// supports the save date, so it matches no message.
func saveDateSupported() imapmsg.SearchKey {
	return imapmsg.SearchKey{Kind: imapmsg.Not, Children: []imapmsg.SearchKey{{Kind: imapmsg.All}}}
}
