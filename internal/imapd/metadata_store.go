package imapd

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// The entries of one mailbox (or the server entries of one account) are
// one document in the store's KV, so that every node sees them (README
// "IMAP"): "imap-metadata/<address>/server" and
// "imap-metadata/<address>/mailbox/<UIDVALIDITY>", named by what a copy
// into another store keeps (petrel store copy copies the KV as it is and
// renumbers accounts and mailboxes): the account's primary address and
// the mailbox's UIDVALIDITY, which RENAME keeps and a new mailbox never
// gets again. A document also holds its account's creation time, so
// that an account created again under a deleted one's address does not
// find the deleted one's entries. DELETE removes a mailbox's document;
// SETMETADATA rewrites one whole, under the account's lock (store Locks),
// so that two nodes setting entries at once lose neither.

// metaEntry is one stored entry: the name as first set (entries are
// matched without regard to case, RFC 5464 §3.2) and its value.
type metaEntry struct {
	Name  string `json:"n"`
	Value []byte `json:"v"`
}

// metaDoc is the document of one mailbox or of the server.
type metaDoc struct {
	Account int64       `json:"a"` // the account's creation time, Unix seconds
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

func (s *session) metaPrefix() string {
	return "imap-metadata/" + url.PathEscape(s.acct.Address) + "/"
}

// metaKey is the KV key of a mailbox's document; the zero Mailbox is the
// server's.
func (s *session) metaKey(mb store.Mailbox) string {
	if mb.UIDValidity == 0 {
		return s.metaPrefix() + "server"
	}
	return s.metaPrefix() + "mailbox/" + strconv.FormatUint(uint64(mb.UIDValidity), 10)
}

// loadMeta reads a document; none, or one of a deleted account, is an
// empty one.
func (s *session) loadMeta(mb store.Mailbox) (*metaDoc, error) {
	return s.loadMetaKey(s.metaKey(mb))
}

func (s *session) loadMetaKey(key string) (*metaDoc, error) {
	b, err := s.srv.st.KVLoad(s.ctx, key)
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
	if d.Account != s.acct.Created.Unix() {
		return &metaDoc{}, nil
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
func (s *session) updateMeta(mb store.Mailbox, change func(d *metaDoc, used int64) status) (status, error) {
	lock, owner := strings.TrimSuffix(s.metaPrefix(), "/"), obs.NewID()
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
	key := s.metaKey(mb)
	used, err := s.metaUsedElsewhere(key)
	if err != nil {
		return status{}, err
	}
	if st := change(d, used); st.kind != "" {
		return st, nil
	}
	if len(d.Entries) == 0 {
		if err := s.srv.st.KVDelete(s.ctx, key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return status{}, err
		}
		return status{}, nil
	}
	d.Account = s.acct.Created.Unix()
	b, err := json.Marshal(d)
	if err != nil {
		return status{}, err
	}
	return status{}, s.srv.st.KVStore(s.ctx, key, b)
}

// metaUsedElsewhere sums the octets of the names and values of the
// account's entries other than those of key (SETMETADATA is rare, and an
// account has few documents). Documents of mailboxes that no longer
// exist (deleted other than by IMAP DELETE) or of a deleted account of
// the same address are removed on the way.
func (s *session) metaUsedElsewhere(key string) (int64, error) {
	prefix := s.metaPrefix()
	keys, err := s.srv.st.KVList(s.ctx, prefix)
	if err != nil {
		return 0, err
	}
	var live map[string]bool
	var used int64
	for _, k := range keys {
		if k.Key == key || !strings.HasPrefix(k.Key, prefix) {
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
		d, err := s.loadMetaKey(k.Key)
		if err != nil {
			return 0, err
		}
		if len(d.Entries) == 0 {
			s.srv.st.KVDelete(s.ctx, k.Key)
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
		live[s.metaKey(b)] = true
	}
	return live, nil
}

// dropMeta removes a deleted mailbox's entries (RFC 5464 §3.1: they go
// with the mailbox).
func (s *session) dropMeta(mb store.Mailbox) {
	err := s.srv.st.KVDelete(s.ctx, s.metaKey(mb))
	if err != nil && !store.IsKind(err, store.KindNotFound) {
		s.log.Warn("metadata of a deleted mailbox not removed", "mailbox", mb.ID, "err", err)
	}
}
