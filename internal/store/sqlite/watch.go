package sqlite

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// DefaultWatchInterval is how often a store looks for commits of other
// processes on its database (Options.WatchInterval).
const DefaultWatchInterval = time.Second

// watcher carries the changes that other processes (other `petrel serve`
// processes on the data directory, the CLI) commit into this process's
// change feed (docs/architecture.md §Shared state). It keeps the UIDNEXT
// and HIGHESTMODSEQ of every mailbox (every change to a mailbox raises
// one of them), read at Open. While the feed has subscribers, it asks
// every interval whether another connection has committed (PRAGMA
// data_version of the writer's connection, which its own commits do not
// change); when one has, it reads the mailboxes again and tells the
// subscribers of each account whose mailboxes changed to read the store
// again (store.Hub.Resync). Changes made through this process are
// published by the writer as before, so they may be told twice.
type watcher struct {
	s        *Store
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}

	version    int64 // data_version at the last look for the change feed
	dirVersion int64 // data_version at the last look for the directory cache
	seen       map[store.MailboxID]mbState
}

type mbState struct {
	account store.AccountID
	uidnext store.UID
	modseq  store.ModSeq
}

// startWatcher reads the mailboxes and starts looking; interval <= 0
// makes a watcher that does nothing (short-lived CLI commands).
func startWatcher(ctx context.Context, s *Store, interval time.Duration) (*watcher, error) {
	w := &watcher{s: s, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(w.done)
		return w, nil
	}
	var err error
	if w.version, err = w.dataVersion(ctx); err == nil {
		w.dirVersion = w.version
		w.seen, err = w.mailboxes(ctx)
	}
	if err != nil {
		return nil, err
	}
	go w.loop()
	return w, nil
}

func (w *watcher) close() {
	select {
	case <-w.done:
		return
	default:
	}
	close(w.stop)
	<-w.done
}

func (w *watcher) loop() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			if err := w.look(); err != nil {
				w.s.log.Warn("store: looking for changes of other processes failed", "err", err)
			}
		}
	}
}

// dataVersion reads PRAGMA data_version on the writer's connection.
func (w *watcher) dataVersion(ctx context.Context) (int64, error) {
	var version int64
	err := w.s.w.doSession(ctx, "watch", func(t *txn) error {
		return t.queryRow("PRAGMA data_version").Scan(&version)
	})
	return version, err
}

func (w *watcher) mailboxes(ctx context.Context) (map[store.MailboxID]mbState, error) {
	rows, err := w.s.rdb.QueryContext(ctx, `SELECT id, account, uidnext, highestmodseq FROM mailboxes`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[store.MailboxID]mbState)
	for rows.Next() {
		var id store.MailboxID
		var st mbState
		if err := rows.Scan(&id, &st.account, &st.uidnext, &st.modseq); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

// look runs one check: for the directory cache always (another
// process's commit empties it: dircache.go), for the feed when it has
// subscribers.
func (w *watcher) look() error {
	subscribed := len(w.s.SubscribedAccounts()) > 0
	if !subscribed && !w.s.dir.on {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*w.interval)
	defer cancel()
	version, err := w.dataVersion(ctx)
	if err != nil {
		return err
	}
	if version != w.dirVersion {
		w.dirVersion = version
		w.s.dir.flush()
	}
	if !subscribed || version == w.version {
		return nil
	}
	now, err := w.mailboxes(ctx)
	if err != nil {
		return err
	}
	w.version = version
	changed := make(map[store.AccountID]bool)
	for id, st := range now {
		if old, ok := w.seen[id]; !ok || old != st {
			changed[st.account] = true
		}
	}
	for id, old := range w.seen {
		if _, ok := now[id]; !ok {
			changed[old.account] = true // deleted or renamed away
		}
	}
	w.seen = now
	for a := range changed {
		w.s.Resync(a)
	}
	return nil
}
