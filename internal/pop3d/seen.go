package pop3d

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// seenBatch is the largest number of \Seen flags stored in one call.
const seenBatch = 512

// seenMarker sets \Seen on retrieved messages in batches: a RETR does not
// wait for a durable commit of its own. Flags are stored at most
// SeenFlushDelay after the RETR (sooner when a batch fills), and in any
// case when the session ends, QUIT or not: a message that was downloaded
// has been seen, whether or not the client said goodbye.
type seenMarker struct {
	st      Store
	mailbox store.MailboxID
	delay   time.Duration
	log     *slog.Logger

	mu       sync.Mutex
	pending  []store.UID
	timer    *time.Timer
	inflight sync.WaitGroup // batches taken and not stored yet
}

func newSeenMarker(st Store, mailbox store.MailboxID, delay time.Duration, log *slog.Logger) *seenMarker {
	return &seenMarker{st: st, mailbox: mailbox, delay: delay, log: log}
}

// add queues uid and schedules a flush.
func (m *seenMarker) add(uid store.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, uid)
	switch {
	case len(m.pending) >= seenBatch:
		if m.timer != nil {
			m.timer.Stop()
			m.timer = nil
		}
		batch := m.take()
		go m.store(batch)
	case m.timer == nil:
		m.timer = time.AfterFunc(m.delay, m.flush)
	}
}

// take removes the pending UIDs (m.mu held) and counts them in flight.
func (m *seenMarker) take() []store.UID {
	batch := m.pending
	m.pending = nil
	if len(batch) > 0 {
		m.inflight.Add(1)
	}
	return batch
}

// flush stores what is pending.
func (m *seenMarker) flush() {
	m.mu.Lock()
	batch := m.take()
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.mu.Unlock()
	m.store(batch)
}

// store sets \Seen on uids, a batch that take counted in flight.
func (m *seenMarker) store(uids []store.UID) {
	if len(uids) == 0 {
		return
	}
	defer m.inflight.Done()
	// Not the session's context: flags of messages already sent are
	// stored even when the session is being torn down.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := m.st.StoreFlags(ctx, m.mailbox, uids, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		m.log.Warn("could not set \\Seen on retrieved messages", "messages", len(uids), "err", err)
	}
}

// close stores what is pending and waits for stores in flight.
func (m *seenMarker) close() {
	m.flush()
	m.inflight.Wait()
}
