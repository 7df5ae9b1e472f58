package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxReadStmts bounds the statements readPool keeps prepared: the store's
// queries are constant strings, a few dozen; one built with a varying
// text beyond the bound is prepared each time, as before.
const maxReadStmts = 256

// readPool is the read connections with their statements prepared once
// per query text and connection (database/sql's Stmt): SQLite parsing a
// statement costs more than running a short one (docs/benchmarks.md §SMTP
// intake profile (issue 21): the recipient's domain, address and account
// looked up at every RCPT spent two thirds of their time in
// sqlite3_prepare).
type readPool struct {
	*sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
}

func newReadPool(db *sql.DB) *readPool {
	return &readPool{DB: db, stmts: make(map[string]*sql.Stmt)}
}

// stmt is q's prepared statement, nil when it cannot be kept (the bound,
// a closed pool, a failed prepare: the plain query then reports that).
func (p *readPool) stmt(ctx context.Context, q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[q]; ok || p.closed || len(p.stmts) >= maxReadStmts {
		return st
	}
	st, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	p.stmts[q] = st
	return st
}

func (p *readPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, q, args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := p.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, q, args...)
}

func (p *readPool) Query(q string, args ...any) (*sql.Rows, error) {
	return p.QueryContext(context.Background(), q, args...)
}

func (p *readPool) QueryRow(q string, args ...any) *sql.Row {
	return p.QueryRowContext(context.Background(), q, args...)
}

// Close closes the statements, then the connections.
func (p *readPool) Close() error {
	p.mu.Lock()
	p.closed = true
	for q, st := range p.stmts {
		st.Close()
		delete(p.stmts, q)
	}
	p.mu.Unlock()
	return p.DB.Close()
}
