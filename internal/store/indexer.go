package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// IndexerIdle is how long the background indexer waits, when nothing is
// left to index, before it looks again without being poked (messages
// stored by another process or node).
const IndexerIdle = 2 * time.Second

// IndexerQuiet and IndexerMaxDefer: a poke is acted on once no other came
// for IndexerQuiet, and at the latest IndexerMaxDefer after the first of
// them. While deliveries stream in, the indexer thus leaves them the
// writer and the CPU, and indexes the bodies of a burst after it, in full
// batches (docs/benchmarks.md §SMTP intake profile (issue 21): indexing
// cost as much CPU as the rest of an SMTP delivery, and more than that
// in the small batches of a poke per delivery). SEARCH finds the bodies
// meanwhile among the unindexed ones (store.TextIndex).
const (
	IndexerQuiet    = 250 * time.Millisecond
	IndexerMaxDefer = 10 * time.Second
)

// Indexer is the background loop of the full-text index
// (docs/architecture.md §Full-text index): deliveries, APPEND and
// imports only list their bodies as unindexed; it runs step (a
// backend's RebuildTextIndex of every account: batches of the oldest
// unindexed bodies, the text extracted outside the write transaction)
// until nothing is left, then waits for a Poke (acted on when the pokes
// pause: IndexerQuiet, IndexerMaxDefer) or Idle. A nil *Indexer does
// nothing.
type Indexer struct {
	step            func(ctx context.Context) (int, error)
	log             *slog.Logger
	idle            time.Duration
	quiet, maxDefer time.Duration
	poke            chan struct{}
	done            chan struct{}
	stop            context.CancelFunc
}

// StartIndexer starts the loop; Stop ends it. idle 0 is IndexerIdle.
func StartIndexer(step func(ctx context.Context) (int, error), idle time.Duration, log *slog.Logger) *Indexer {
	return startIndexer(step, idle, IndexerQuiet, IndexerMaxDefer, log)
}

func startIndexer(step func(ctx context.Context) (int, error), idle, quiet, maxDefer time.Duration, log *slog.Logger) *Indexer {
	if idle <= 0 {
		idle = IndexerIdle
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &Indexer{step: step, log: log, idle: idle, quiet: quiet, maxDefer: maxDefer,
		poke: make(chan struct{}, 1), done: make(chan struct{}), stop: cancel}
	go x.run(ctx)
	return x
}

// Poke tells the loop that bodies were listed as unindexed (after their
// transaction committed); it never blocks.
func (x *Indexer) Poke() {
	if x == nil {
		return
	}
	select {
	case x.poke <- struct{}{}:
	default:
	}
}

// Stop ends the loop and waits for it (a batch under way is cancelled;
// its bodies stay listed, and are indexed on the next start).
func (x *Indexer) Stop() {
	if x == nil {
		return
	}
	x.stop()
	<-x.done
}

func (x *Indexer) run(ctx context.Context) {
	defer close(x.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.poke:
			if !x.settle(ctx) {
				return
			}
		case <-t.C:
		}
		start := time.Now()
		n, err := x.step(ctx)
		if err != nil && ctx.Err() == nil {
			x.log.Warn("full-text indexer", "err", err)
		} else if n > 0 {
			d := time.Since(start)
			x.log.Debug("full-text indexer", "bodies", n, "took", d, "per_second", float64(n)/d.Seconds())
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(x.idle)
	}
}

// settle waits, after a poke, until no other poke came for x.quiet or
// x.maxDefer has passed; false when ctx ended meanwhile.
func (x *Indexer) settle(ctx context.Context) bool {
	deadline := time.NewTimer(x.maxDefer)
	defer deadline.Stop()
	quiet := time.NewTimer(x.quiet)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-quiet.C:
			return true
		case <-x.poke:
			quiet.Reset(x.quiet)
		}
	}
}

// IndexBacklog is what waits for the background indexer: the bodies
// listed as unindexed that it will index (not those over MaxIndexText,
// which stay listed), and when the oldest of them was listed (zero when
// none waits).
type IndexBacklog struct {
	Bodies int
	Oldest time.Time
}

// NewBacklogCollector is a Prometheus collector of the indexer's backlog
// (README "Metrics"), read from the store at each scrape by read:
// petrel_fts_backlog_bodies and petrel_fts_backlog_oldest_seconds (the
// age of the oldest, 0 when none waits). A scrape whose read fails
// reports nothing.
func NewBacklogCollector(read func(ctx context.Context) (IndexBacklog, error)) prometheus.Collector {
	return &backlogCollector{read: read,
		bodies: prometheus.NewDesc("petrel_fts_backlog_bodies",
			"Message bodies waiting for the background full-text indexer.", nil, nil),
		oldest: prometheus.NewDesc("petrel_fts_backlog_oldest_seconds",
			"Seconds since the oldest body waiting for the full-text indexer was stored (0: none waits).", nil, nil)}
}

type backlogCollector struct {
	read           func(ctx context.Context) (IndexBacklog, error)
	bodies, oldest *prometheus.Desc
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.bodies; ch <- c.oldest }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.read(ctx)
	if err != nil {
		return
	}
	age := 0.0
	if b.Bodies > 0 && !b.Oldest.IsZero() {
		age = max(0, time.Since(b.Oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.bodies, prometheus.GaugeValue, float64(b.Bodies))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
