package pop3d

import (
	"context"
	"fmt"
	"sort"

	"github.com/petrelmail/petrel/internal/store"
)

// entry is one message of the maildrop.
type entry struct {
	uid  store.UID
	blob store.BlobID
	size int64 // as RETR sends it (msgmeta.WireSize)
	// deleted: marked by DELE, expunged at QUIT unless RSET.
	deleted bool
	// gone: expunged by another session (IMAP) since the login.
	gone bool
}

// maildrop is the INBOX as it was at login (RFC 1939 §4: the session's
// view is fixed; message numbers are stable for the session). Messages
// delivered later are not in it.
type maildrop struct {
	mailbox     store.Mailbox
	msgs        []entry // ascending UID; message n is msgs[n-1]
	sub         *store.Subscription
	uidValidity uint32
}

// openMaildrop reads the account's INBOX and subscribes to its changes.
// The subscription comes first, so that no expunge is missed between the
// read and the subscription.
func openMaildrop(ctx context.Context, st Store, account store.AccountID) (*maildrop, error) {
	sub := st.Subscribe(account)
	md, err := readMaildrop(ctx, st, account)
	if err != nil {
		sub.Close()
		return nil, err
	}
	md.sub = sub
	return md, nil
}

func readMaildrop(ctx context.Context, st Store, account store.AccountID) (*maildrop, error) {
	mb, err := st.Mailbox(ctx, account, store.InboxName)
	if err != nil {
		return nil, err
	}
	sized, err := st.WireSizes(ctx, mb.ID, 1, 0)
	if err != nil {
		return nil, err
	}
	md := &maildrop{mailbox: mb, uidValidity: mb.UIDValidity, msgs: make([]entry, 0, len(sized))}
	for _, m := range sized {
		md.msgs = append(md.msgs, entry{uid: m.UID, blob: m.Blob, size: m.WireSize})
	}
	return md, nil
}

func (md *maildrop) close() { md.sub.Close() }

// get returns message n (1-based), or nil when there is no such message.
func (md *maildrop) get(n int) *entry {
	if n < 1 || n > len(md.msgs) {
		return nil
	}
	return &md.msgs[n-1]
}

// live reports the messages neither deleted nor gone, and their size.
func (md *maildrop) live() (count int, size int64) {
	for i := range md.msgs {
		if e := &md.msgs[i]; !e.deleted && !e.gone {
			count++
			size += e.size
		}
	}
	return count, size
}

// uidl is a message's unique-id (RFC 1939 §7): its INBOX UIDVALIDITY and
// UID, 8 hex digits each, so stable across sessions and restarts and
// never reused, as IMAP's UIDs are not.
func (md *maildrop) uidl(e *entry) string {
	return fmt.Sprintf("%08x%08x", md.uidValidity, uint32(e.uid))
}

// sync applies the changes another session made: messages expunged from
// the INBOX become gone. After an overflow of the change feed or a
// rename, the INBOX is listed again.
func (md *maildrop) sync(ctx context.Context, st Store) error {
	events, overflow := md.sub.Events()
	resync := overflow
	for _, ev := range events {
		switch {
		case ev.Kind == store.ChangeExpunged && ev.Mailbox == md.mailbox.ID:
			md.markGone(ev.UIDs)
		case ev.Kind == store.ChangeMailboxRenamed:
			// Renaming INBOX moves its messages out (RFC 9051 §6.3.6).
			resync = true
		}
	}
	if resync {
		return md.resync(ctx, st)
	}
	return nil
}

// resync marks gone every message no longer in the INBOX.
func (md *maildrop) resync(ctx context.Context, st Store) error {
	if len(md.msgs) == 0 {
		return nil
	}
	cur, err := st.Messages(ctx, md.mailbox.ID, md.msgs[0].uid, md.msgs[len(md.msgs)-1].uid)
	if err != nil {
		return err
	}
	present := make(map[store.UID]bool, len(cur))
	for _, m := range cur {
		present[m.UID] = true
	}
	for i := range md.msgs {
		if !present[md.msgs[i].uid] {
			md.msgs[i].gone = true
		}
	}
	return nil
}

// markGone marks the given UIDs gone.
func (md *maildrop) markGone(uids []store.UID) {
	for _, u := range uids {
		i := sort.Search(len(md.msgs), func(i int) bool { return md.msgs[i].uid >= u })
		if i < len(md.msgs) && md.msgs[i].uid == u {
			md.msgs[i].gone = true
		}
	}
}

// deletedUIDs lists the messages marked deleted that are still there.
func (md *maildrop) deletedUIDs() []store.UID {
	var out []store.UID
	for _, e := range md.msgs {
		if e.deleted && !e.gone {
			out = append(out, e.uid)
		}
	}
	return out
}
