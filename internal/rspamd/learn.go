package rspamd

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// MessageReader is what the Learner reads of the store: the messages a
// report names, and their bodies.
type MessageReader interface {
	Messages(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error)
	OpenBlob(ctx context.Context, blob store.BlobID) (store.Blob, error)
}

// Learner limits.
const (
	learnBacklog   = 256  // reports waiting; more are dropped
	learnPerReport = 1000 // messages learned of one report
)

// report is one MOVE or COPY into or out of Junk.
type report struct {
	user    string
	mailbox store.MailboxID
	uids    []store.UID
	spam    bool
}

// Learner reports the messages users file in Junk (spam) or take out of
// it (ham) to rspamd's classifier, in the background, one at a time.
type Learner struct {
	c       *client
	st      MessageReader
	timeout time.Duration
	log     *slog.Logger
	metrics *Metrics
	queue   chan report
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

// NewLearner starts a Learner; Close stops it. metrics may be nil.
func NewLearner(cfg Config, st MessageReader, log *slog.Logger, m *Metrics) *Learner {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Learner{c: &client{check: cfg.URL, controller: cfg.ControllerURL, password: cfg.Password, http: newHTTPClient(2)},
		st: st, timeout: cfg.Timeout, log: log, metrics: m, queue: make(chan report, learnBacklog), cancel: cancel}
	l.done.Add(1)
	go l.run(ctx)
	return l
}

// Report queues the messages uids of mailbox (where they are now) to be
// learned as spam or ham for the Bayes user user (the account's
// address). It never blocks: with the backlog full the report is dropped
// and counted.
func (l *Learner) Report(user string, mailbox store.MailboxID, uids []store.UID, spam bool) {
	if len(uids) == 0 {
		return
	}
	select {
	case l.queue <- report{user: user, mailbox: mailbox, uids: slices.Clone(uids), spam: spam}:
	default:
		l.metrics.learned(spam, "dropped")
		l.log.Warn("rspamd: learning backlog full, report dropped", "user", user, "messages", len(uids), "spam", spam)
	}
}

// Close stops the Learner; reports not learned yet are dropped.
func (l *Learner) Close() {
	l.cancel()
	l.done.Wait()
}

func (l *Learner) run(ctx context.Context) {
	defer l.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-l.queue:
			l.learn(ctx, r)
		}
	}
}

// learn reports the messages of r that are still where r says.
func (l *Learner) learn(ctx context.Context, r report) {
	uids := slices.Clone(r.uids)
	slices.Sort(uids)
	if len(uids) > learnPerReport {
		l.log.Warn("rspamd: learning only part of a report", "user", r.user, "messages", len(uids), "learned", learnPerReport)
		uids = uids[:learnPerReport]
	}
	msgs, err := l.st.Messages(ctx, r.mailbox, uids[0], uids[len(uids)-1])
	if err != nil {
		l.log.Warn("rspamd: reading messages to learn", "user", r.user, "err", err)
		l.metrics.learned(r.spam, "error")
		return
	}
	for _, m := range msgs {
		if _, ok := slices.BinarySearch(uids, m.UID); !ok {
			continue
		}
		if err := l.learnOne(ctx, r, m); err != nil {
			l.log.Warn("rspamd: learning failed", "user", r.user, "uid", m.UID, "spam", r.spam, "err", err)
			l.metrics.learned(r.spam, "error")
			continue
		}
		l.metrics.learned(r.spam, "ok")
	}
}

func (l *Learner) learnOne(ctx context.Context, r report, m store.Message) error {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	b, err := l.st.OpenBlob(ctx, m.Blob)
	if err != nil {
		return err
	}
	defer b.Close()
	return l.c.Learn(ctx, r.spam, r.user, b, b.Size())
}
