package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestMigrationTextPending: a database at the schema before the index of
// the bodies waiting for the indexer gets it, and the indexer's claim and
// the backlog metric can read text_unindexed through it (none of the
// rows over the bound): with sequential scans priced out, as in a table
// of millions of rows, their plans name it, not the table's key.
func TestMigrationTextPending(t *testing.T) {
	dsn := newDatabase(t)
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	prev := -1
	for i, m := range migrations {
		if strings.Contains(m, "text_unindexed_pending") {
			prev = i
		}
	}
	if prev < 0 {
		t.Fatal("no migration creates text_unindexed_pending")
	}
	execSQL(t, dsn, `DROP INDEX IF EXISTS text_unindexed_pending; UPDATE petrel_schema SET version = `+strconv.Itoa(prev))
	if s, err = openTest(dsn); err != nil {
		t.Fatal(err)
	}
	s.Close()
	withConn(t, dsn, func(c *pgx.Conn) error {
		ctx := context.Background()
		if _, err := c.Exec(ctx, `SET enable_seqscan = off`); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{claimUnindexed, []any{256, 0}},
			{backlogQuery, nil},
		} {
			rows, err := c.Query(ctx, "EXPLAIN "+q.sql, q.args...)
			if err != nil {
				return err
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if p := strings.Join(plan, "\n"); !strings.Contains(p, "text_unindexed_pending") {
				t.Errorf("%s\nplan:\n%s\nwant a scan of text_unindexed_pending", q.sql, p)
			}
		}
		return nil
	})
}
