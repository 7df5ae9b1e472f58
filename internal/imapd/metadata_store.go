package imapd

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// The entries of one mailbox (or the server entries of one account) are
// one document in the store's KV, so that every node sees them (README
// "IMAP"): "imap-metadata/<account>/server" and
// "imap-metadata/<account>/mailbox/<mailbox ID>". Keyed by the mailbox ID,
// they stay with a mailbox that RENAME moves; DELETE removes them.
// SETMETADATA rewrites a document whole, under the account's lock (store
// Locks), so that two nodes setting entries at once lose neither.

// metaEntry is one stored entry: the name as first set (entries are
// matched without regard to case, RFC 5464 §3.2) and its value.
type metaEntry struct {
	Name  string `json:"n"`
	Value []byte `json:"v"`
}

// metaDoc is the document of one mailbox or of the server.
type metaDoc struct {
	Entries []metaEntry `json:"e"`
}

func (d *metaDoc) find(name string) int {
	return slices.IndexFunc(d.Entries, func(e metaEntry) bool { return strings.EqualFold(e.Name, name) })
}

func (d *metaDoc) size() (n int64) {
	for _, e := range d.Entries {
		n += int64(len(e.Name) + len(e.Value))
	}
	return n
}

func metaAccountPrefix(acct store.AccountID) string {
	return "imap-metadata/" + strconv.FormatInt(int64(acct), 10) + "/"
}

// metaKey is the KV key of a mailbox's document; mb 0 is the server's.
func metaKey(acct store.AccountID, mb store.MailboxID) string {
	if mb == 0 {
		return metaAccountPrefix(acct) + "server"
	}
	return metaAccountPrefix(acct) + "mailbox/" + strconv.FormatInt(int64(mb), 10)
}

// loadMeta reads a document; none is an empty one.
func (s *session) loadMeta(mb store.MailboxID) (*metaDoc, error) {
	b, err := s.srv.st.KVLoad(s.ctx, metaKey(s.acct.ID, mb))
	d := &metaDoc{}
	if store.IsKind(err, store.KindNotFound) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, store.Errorf(store.KindInternal, "metadata", "stored metadata unreadable: %v", err)
	}
	return d, nil
}

// metaLockWait bounds the wait for the account's metadata lock.
const (
	metaLockTTL  = 10 * time.Second
	metaLockWait = 3 * time.Second
)

// errMetaBusy: another session held the lock for the whole wait.
var errMetaBusy = store.Errorf(store.KindTemporary, "metadata", "metadata lock busy")

// updateMeta runs change on the document of mb under the account's lock
// and stores the result; change returns a non-empty status to refuse
// (nothing stored). used is the size of the account's other documents.
func (s *session) updateMeta(mb store.MailboxID, change func(d *metaDoc, used int64) status) (status, error) {
	lock, owner := "imap-metadata/"+strconv.FormatInt(int64(s.acct.ID), 10), obs.NewID()
	deadline := time.Now().Add(metaLockWait)
	for {
		ok, err := s.srv.st.TryLock(s.ctx, lock, owner, metaLockTTL)
		if err != nil {
			return status{}, err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return status{}, errMetaBusy
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer s.srv.st.Unlock(context.WithoutCancel(s.ctx), lock, owner)
	d, err := s.loadMeta(mb)
	if err != nil {
		return status{}, err
	}
	used, err := s.metaUsedElsewhere(mb)
	if err != nil {
		return status{}, err
	}
	if st := change(d, used); st.kind != "" {
		return st, nil
	}
	key := metaKey(s.acct.ID, mb)
	if len(d.Entries) == 0 {
		if err := s.srv.st.KVDelete(s.ctx, key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return status{}, err
		}
		return status{}, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return status{}, err
	}
	return status{}, s.srv.st.KVStore(s.ctx, key, b)
}

// metaUsedElsewhere sums the octets of the names and values of the
// account's entries other than mb's (SETMETADATA is rare, and an account
// has few documents). Documents of mailboxes that no longer exist
// (deleted other than by IMAP DELETE) are removed on the way.
func (s *session) metaUsedElsewhere(mb store.MailboxID) (int64, error) {
	prefix := metaAccountPrefix(s.acct.ID)
	keys, err := s.srv.st.KVList(s.ctx, prefix)
	if err != nil {
		return 0, err
	}
	var live map[string]bool
	var used int64
	for _, k := range keys {
		if k.Key == metaKey(s.acct.ID, mb) {
			continue
		}
		if strings.HasPrefix(k.Key, prefix+"mailbox/") {
			if live == nil {
				if live, err = s.liveMetaKeys(); err != nil {
					return 0, err
				}
			}
			if !live[k.Key] {
				s.srv.st.KVDelete(s.ctx, k.Key)
				continue
			}
		}
		b, err := s.srv.st.KVLoad(s.ctx, k.Key)
		if store.IsKind(err, store.KindNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		var d metaDoc
		if json.Unmarshal(b, &d) != nil {
			used += k.Size // unreadable: counted as stored
			continue
		}
		used += d.size()
	}
	return used, nil
}

func (s *session) liveMetaKeys() (map[string]bool, error) {
	boxes, err := s.srv.st.Mailboxes(s.ctx, s.acct.ID)
	if err != nil {
		return nil, err
	}
	live := make(map[string]bool, len(boxes))
	for _, b := range boxes {
		live[metaKey(s.acct.ID, b.ID)] = true
	}
	return live, nil
}

// dropMeta removes a deleted mailbox's entries (RFC 5464 §3.1: they go
// with the mailbox).
func (s *session) dropMeta(mb store.MailboxID) {
	err := s.srv.st.KVDelete(s.ctx, metaKey(s.acct.ID, mb))
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		s.log.Warn("metadata of a deleted mailbox not removed", "mailbox", mb, "err", err)
	}
}
