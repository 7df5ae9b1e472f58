package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// The change feed across nodes (docs/architecture.md §Shared state): a
// transaction that changes mail sends its events to channel feedChannel
// with pg_notify, in the transaction, so PostgreSQL delivers them at the
// commit, in commit order, and never for a rollback. Every Store LISTENs
// on a connection of its own and publishes to its subscribers the events
// of the other nodes (its own it published itself, right after the
// commit). A payload is JSON: {"n": node, "c": [changes]}, as many as
// needed to stay within PostgreSQL's limit (8000 octets), or, for a
// change too large for one, {"n": node, "r": [account]}, which makes the
// subscribers of that account resynchronise (store.Hub.Resync).

const (
	feedChannel = "petrel_changes"
	// maxPayload stays below PostgreSQL's 8000-octet notification limit.
	maxPayload = 7900
	// pingEvery is how often an idle listen connection is checked, so
	// that one silently lost is found and replaced.
	pingEvery = 10 * time.Second
)

type feedMessage struct {
	Node     string            `json:"n"`
	Changes  []store.Change    `json:"c,omitempty"`
	Accounts []store.AccountID `json:"r,omitempty"`
}

// notify sends the transaction's changes to the other nodes, in as few
// notifications as fit them.
func (t *txn) notify() error {
	payloads, err := feedPayloads(t.s.node, t.changes)
	if err != nil {
		return err
	}
	_, err = t.exec(`SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS w(p, n) ORDER BY n`,
		feedChannel, payloads)
	return err
}

// notifyResync makes the other nodes' subscribers of account read the
// store again: an import into a mailbox that a running server serves
// (README "Migrating to Petrel") publishes no changes of its own.
func (t *txn) notifyResync(account store.AccountID) error {
	p, err := json.Marshal(feedMessage{Node: t.s.node, Accounts: []store.AccountID{account}})
	if err != nil {
		return err
	}
	_, err = t.exec(`SELECT pg_notify($1, $2)`, feedChannel, string(p))
	return err
}

// feedPayloads packs changes into notification payloads of at most
// maxPayload octets, in order; a change too large for one alone (an
// expunge of thousands of UIDs) becomes a resynchronisation of its
// account.
func feedPayloads(node string, changes []store.Change) ([]string, error) {
	var out []string
	var cur []json.RawMessage
	size := 0
	head := len(node) + 16 // {"n":"…","c":[ … ]}
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		p, err := json.Marshal(struct {
			Node    string            `json:"n"`
			Changes []json.RawMessage `json:"c"`
		}{node, cur})
		out, cur, size = append(out, string(p)), nil, 0
		return err
	}
	for _, ch := range changes {
		b, err := json.Marshal(ch)
		if err != nil {
			return nil, err
		}
		if head+len(b)+1 > maxPayload {
			r, err := json.Marshal(feedMessage{Node: node, Accounts: []store.AccountID{ch.Account}})
			if err != nil {
				return nil, err
			}
			out = append(out, string(r))
			continue
		}
		if head+size+len(b)+1 > maxPayload {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cur, size = append(cur, b), size+len(b)+1
	}
	return out, flush()
}

// listener is the LISTEN connection of one Store.
type listener struct {
	s      *Store
	cfg    *pgx.ConnConfig
	conn   *pgx.Conn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// pid is the server process of the current connection (tests end it
	// to check that it is re-established).
	pid chan uint32
	// own is how this node's payloads begin (feedPayloads).
	own string
}

// startListener connects and LISTENs before it returns, so that every
// change committed after Open is heard.
func startListener(ctx context.Context, s *Store, cfg *pgx.ConnConfig) (*listener, error) {
	l := &listener{s: s, cfg: cfg, done: make(chan struct{}), pid: make(chan uint32, 1), own: `{"n":"` + s.node + `",`}
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	go l.loop(conn)
	return l, nil
}

func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+feedChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	select {
	case <-l.pid:
	default:
	}
	l.pid <- conn.PgConn().PID()
	return conn, nil
}

func (l *listener) close() {
	l.cancel()
	<-l.done
}

// loop receives notifications until the store closes. When the
// connection is lost it connects again, with a growing pause, and then
// tells every subscriber to resynchronise: notifications sent meanwhile
// are lost.
func (l *listener) loop(conn *pgx.Conn) {
	defer close(l.done)
	for {
		err := l.receive(conn)
		conn.Close(context.Background())
		if l.ctx.Err() != nil {
			return
		}
		l.s.log.Warn("store: change feed connection lost; reconnecting", "err", err)
		for pause := 100 * time.Millisecond; ; pause = min(2*pause, 5*time.Second) {
			select {
			case <-l.ctx.Done():
				return
			case <-time.After(pause):
			}
			ctx, cancel := context.WithTimeout(l.ctx, 10*time.Second)
			conn, err = l.connect(ctx)
			cancel()
			if err == nil {
				break
			}
			l.s.log.Warn("store: change feed reconnect failed", "err", err)
		}
		l.s.log.Info("store: change feed connection re-established; subscribers resynchronise")
		for _, a := range l.s.SubscribedAccounts() {
			l.s.Resync(a)
		}
	}
}

// receive handles notifications until the connection fails or the store
// closes. An idle connection is pinged every pingEvery.
func (l *listener) receive(conn *pgx.Conn) error {
	for {
		ctx, cancel := context.WithTimeout(l.ctx, pingEvery)
		n, err := conn.WaitForNotification(ctx)
		cancel()
		if err != nil {
			if l.ctx.Err() != nil {
				return err
			}
			if ctx.Err() == nil || conn.IsClosed() {
				return err
			}
			pctx, pcancel := context.WithTimeout(l.ctx, pingEvery)
			err = conn.Ping(pctx)
			pcancel()
			if err != nil {
				return err
			}
			continue
		}
		l.deliver(n.Payload)
	}
}

// deliver publishes the events of another node.
func (l *listener) deliver(payload string) {
	if strings.HasPrefix(payload, l.own) {
		return // this node's own, published at its commit
	}
	var m feedMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		l.s.log.Warn("store: bad change notification", "err", err)
		return
	}
	if m.Node == l.s.node {
		return
	}
	if len(m.Changes) > 0 {
		l.s.Publish(m.Changes...)
	}
	for _, a := range m.Accounts {
		l.s.Resync(a)
	}
}
