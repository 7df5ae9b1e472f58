package postgres

import "strings"

// deliverFunction is petrel_deliver, the delivery of one body to its
// targets as one statement (deliver.go): the writer sends the calls of
// many concurrent deliveries in one pipeline and one transaction, so a
// delivery costs no round trip of its own. It does what store/sqlite's
// deliver does in Go, in the same order, in as few statements as it can
// (each costs a plan execution):
//
//   - each target, in the order of its account (the lock order, txn.go):
//     charge the account's quota, raising its state on the account's
//     first target (error 1: no account; 3: over quota, the charge and
//     the raise undone), then take a UID and MODSEQ in the mailbox named
//     by id or by name (error 2: no mailbox, undone likewise);
//   - atomic and a target failed: every reservation undone (the rows are
//     locked: subtracting restores them), the others error 4;
//   - else, when a target took it: the blob (p_blob, written before in
//     chunks, or p_data inserted now) with one reference per target and
//     its metadata, per account the thread (the first known of p_keys,
//     else the blob id, store.ThreadKeys), and the messages.
//
// A thread ID is never 0 (blob ids start at 1), which marks a target
// not threaded yet.
//
// It returns one row per target, in the order of the arrays (o_idx from
// 0), with the account's state after the call. Error codes are mapped to
// store kinds by deliver.go. It is part of migration 1: a change to it is a new
// migration (CREATE OR REPLACE FUNCTION), like any schema change: the
// function of migration 3 is deliverFunction3.
const deliverFunction = `
CREATE FUNCTION petrel_deliver(
	t_account bigint[], t_mailbox bigint[], t_name text[], t_flags integer[], t_keywords text[],
	p_size bigint, p_blob bigint, p_data bytea, p_chunk integer, p_meta bytea, p_keys text[],
	p_idate bigint, p_izone integer, p_atomic boolean)
RETURNS TABLE (o_idx integer, o_err integer, o_mailbox bigint, o_uidvalidity bigint, o_uid bigint,
	o_modseq bigint, o_blob bigint, o_state bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
	n integer := coalesce(array_length(t_account, 1), 0);
	ord integer[];
	i integer;
	j integer;
	a bigint;
	e integer[] := array_fill(0, ARRAY[n]);
	mb bigint[] := array_fill(0::bigint, ARRAY[n]);
	uv bigint[] := array_fill(0::bigint, ARRAY[n]);
	u bigint[] := array_fill(0::bigint, ARRAY[n]);
	ms bigint[] := array_fill(0::bigint, ARRAY[n]);
	st bigint[] := array_fill(0::bigint, ARRAY[n]);
	bump integer[] := array_fill(0, ARRAY[n]);
	raised bigint[] := '{}';
	thr bigint[] := array_fill(0::bigint, ARRAY[n]);
	th bigint;
	stored integer := 0;
	ok boolean;
	v_st bigint;
	v_mb bigint; v_uv bigint; v_uid bigint; v_ms bigint;
	v_blob bigint;
	v_unseen integer;
	nkeys integer := coalesce(array_length(p_keys, 1), 0);
BEGIN
	IF n = 1 THEN
		ord := ARRAY[1];
	ELSE
		SELECT array_agg(w.n ORDER BY w.a, w.n) INTO ord FROM unnest(t_account) WITH ORDINALITY AS w(a, n);
	END IF;
	FOREACH i IN ARRAY ord LOOP
		a := t_account[i];
		bump[i] := CASE WHEN a = ANY(raised) THEN 0 ELSE 1 END;
		UPDATE accounts SET used_bytes = used_bytes + p_size, used_messages = used_messages + 1, state = state + bump[i]
			WHERE id = a
			RETURNING (quota_bytes = 0 OR used_bytes <= quota_bytes) AND (quota_messages = 0 OR used_messages <= quota_messages), state
			INTO ok, v_st;
		IF NOT FOUND THEN
			e[i] := 1;
			CONTINUE;
		END IF;
		IF ok THEN
			v_unseen := CASE WHEN t_flags[i] & 1 = 0 THEN 1 ELSE 0 END;
			IF t_mailbox[i] <> 0 THEN
				UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1, messages = messages + 1,
					unseen = mailboxes.unseen + v_unseen, size = size + p_size
					WHERE account = a AND id = t_mailbox[i]
					RETURNING id, uidvalidity, uidnext - 1, highestmodseq INTO v_mb, v_uv, v_uid, v_ms;
			ELSE
				UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1, messages = messages + 1,
					unseen = mailboxes.unseen + v_unseen, size = size + p_size
					WHERE account = a AND name = t_name[i]
					RETURNING id, uidvalidity, uidnext - 1, highestmodseq INTO v_mb, v_uv, v_uid, v_ms;
			END IF;
			IF NOT FOUND THEN
				e[i] := 2;
			END IF;
		ELSE
			e[i] := 3;
		END IF;
		IF e[i] <> 0 THEN
			UPDATE accounts SET used_bytes = used_bytes - p_size, used_messages = used_messages - 1, state = state - bump[i]
				WHERE id = a;
			bump[i] := 0;
			CONTINUE;
		END IF;
		IF bump[i] = 1 THEN
			raised := raised || a;
		END IF;
		mb[i] := v_mb; uv[i] := v_uv; u[i] := v_uid; ms[i] := v_ms; st[i] := v_st;
		stored := stored + 1;
	END LOOP;

	IF stored > 0 AND stored < n AND p_atomic THEN
		FOR i IN REVERSE n..1 LOOP
			IF e[i] = 0 THEN
				UPDATE mailboxes SET uidnext = uidnext - 1, highestmodseq = highestmodseq - 1, messages = messages - 1,
					unseen = mailboxes.unseen - CASE WHEN t_flags[i] & 1 = 0 THEN 1 ELSE 0 END, size = size - p_size
					WHERE id = mb[i];
				UPDATE accounts SET used_bytes = used_bytes - p_size, used_messages = used_messages - 1, state = state - bump[i]
					WHERE id = t_account[i];
				e[i] := 4;
			END IF;
		END LOOP;
		stored := 0;
	END IF;

	IF stored > 0 THEN
		IF p_blob <> 0 THEN
			UPDATE blobs SET refs = stored, meta = p_meta WHERE id = p_blob;
			v_blob := p_blob;
		ELSE
			INSERT INTO blobs(size, refs, chunk, meta, data) VALUES (p_size, stored, p_chunk, p_meta, p_data)
				RETURNING id INTO v_blob;
		END IF;
		FOR i IN 1..n LOOP
			CONTINUE WHEN e[i] <> 0;
			a := t_account[i];
			IF thr[i] = 0 THEN
				th := v_blob;
				IF nkeys = 1 THEN
					INSERT INTO thread_keys(account, key, thread) VALUES (a, p_keys[1], v_blob)
						ON CONFLICT (account, key) DO UPDATE SET thread = thread_keys.thread RETURNING thread INTO th;
				ELSIF nkeys > 1 THEN
					SELECT k.thread INTO th FROM thread_keys k
						JOIN unnest(p_keys) WITH ORDINALITY AS w(key, n) ON w.key = k.key
						WHERE k.account = a ORDER BY w.n LIMIT 1;
					th := coalesce(th, v_blob);
					INSERT INTO thread_keys(account, key, thread) SELECT a, w.key, th FROM unnest(p_keys) AS w(key)
						ON CONFLICT DO NOTHING;
				END IF;
				FOR j IN i..n LOOP
					IF t_account[j] = a THEN
						thr[j] := th;
					END IF;
				END LOOP;
			END IF;
			INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid)
				VALUES (mb[i], u[i], ms[i], t_flags[i], t_keywords[i], p_idate, p_izone, p_size, v_blob, thr[i]);
		END LOOP;
	END IF;

	FOR i IN 1..n LOOP
		o_idx := i - 1; o_err := e[i]; o_mailbox := mb[i]; o_uidvalidity := uv[i]; o_uid := u[i];
		o_modseq := ms[i]; o_blob := coalesce(v_blob, 0); o_state := st[i];
		RETURN NEXT;
	END LOOP;
END
$fn$;
`

// errBodyGone is the SQLSTATE petrel_deliver raises when its p_blob row
// is missing (a body swept as an orphan before its delivery committed):
// the delivery fails temporarily and stores nothing (kindOf, txn.go).
const errBodyGone = "PB001"

// deliverFunction3 is migration 3: petrel_deliver as in migration 1,
// except that taking the written body (p_blob) raises errBodyGone when its
// row is gone, instead of storing messages that point at no body.
var deliverFunction3 = replaceOnce(replaceOnce(deliverFunction,
	"CREATE FUNCTION petrel_deliver(", "CREATE OR REPLACE FUNCTION petrel_deliver("),
	"UPDATE blobs SET refs = stored, meta = p_meta WHERE id = p_blob;\n",
	"UPDATE blobs SET refs = stored, meta = p_meta WHERE id = p_blob;\n"+
		"\t\t\tIF NOT FOUND THEN\n"+
		"\t\t\t\tRAISE EXCEPTION 'body % was removed before its delivery', p_blob USING ERRCODE = '"+errBodyGone+"';\n"+
		"\t\t\tEND IF;\n")

// replaceOnce replaces the one occurrence of old in s; it panics when old
// does not occur exactly once (a migration built from a changed text).
func replaceOnce(s, old, new string) string {
	if strings.Count(s, old) != 1 {
		panic("postgres: migration text not found: " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// deliverBatchFunction is migration 5: petrel_deliver_batch, the
// deliveries of a whole batch in one call (deliver.go). A call of
// petrel_deliver per delivery cost each delivery a statement of the
// protocol and five of its own, most of the server's CPU per 4 KiB
// delivery (docs/benchmarks.md).
//
// The deliveries come as arrays: per target (t_*, flattened in the
// order of the deliveries) t_del is its delivery (from 1) and t_idx its
// index in that delivery (from 0); per delivery (p_*, d_*) d_ntargets
// and d_nkeys say how many of the targets and of the thread keys
// (p_keys, flattened likewise) are its own. The rows of the accounts
// are locked by the caller (deliver.go), so what is read here holds
// until the commit.
//
// When every target's mailbox exists and every account's quota takes
// all of its targets (the common case), the batch is stored set-based:
// one statement per table for the accounts' charges and states, the
// mailboxes' UIDs and MODSEQs (numbered in the order of the targets,
// as one call per delivery would), the bodies and the messages; only a
// delivery's thread keys, whose threads may come from the delivery
// before it, take a statement each. Otherwise each delivery goes
// through petrel_deliver in turn (its errors, quota order and atomic
// deliveries as before). The rows returned are petrel_deliver's, with
// o_del, the delivery's index from 0. An error raised aborts the
// batch's transaction, as before; deliver.go then runs the deliveries
// again without the failing one.
const deliverBatchFunction = `
CREATE FUNCTION petrel_deliver_batch(
	d_ntargets integer[], d_nkeys integer[], t_del integer[], t_idx integer[],
	t_account bigint[], t_mailbox bigint[], t_name text[], t_flags integer[], t_keywords text[],
	p_size bigint[], p_blob bigint[], p_data bytea[], p_chunk integer, p_meta bytea[], p_keys text[],
	p_idate bigint[], p_izone integer[], p_atomic boolean[])
RETURNS TABLE (o_del integer, o_idx integer, o_err integer, o_mailbox bigint, o_uidvalidity bigint, o_uid bigint,
	o_modseq bigint, o_blob bigint, o_state bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
	nd integer := coalesce(array_length(d_ntargets, 1), 0);
	nt integer := coalesce(array_length(t_account, 1), 0);
	mb bigint[];
	uv bigint[];
	u bigint[];
	ms bigint[];
	st bigint[];
	bl bigint[];
	thr bigint[];
	ok boolean;
	t integer := 1;
	e integer;
	k integer := 1;
	nk integer;
	th bigint;
	n bigint;
BEGIN
	SELECT array_agg(coalesce(m.id, 0) ORDER BY w.n) INTO mb
		FROM unnest(t_account, t_mailbox, t_name) WITH ORDINALITY AS w(a, id, name, n)
		LEFT JOIN LATERAL (
			SELECT x.id FROM mailboxes x WHERE w.id <> 0 AND x.account = w.a AND x.id = w.id
			UNION ALL
			SELECT x.id FROM mailboxes x WHERE w.id = 0 AND x.account = w.a AND x.name = w.name
		) m ON true;
	IF nt > 0 AND NOT 0 = ANY(mb) THEN
		SELECT count(*) = (SELECT count(DISTINCT x) FROM unnest(t_account) AS x)
				AND count(*) = count(*) FILTER (WHERE (c.quota_bytes = 0 OR c.used_bytes + s.b <= c.quota_bytes)
				AND (c.quota_messages = 0 OR c.used_messages + s.c <= c.quota_messages))
			INTO ok
			FROM (SELECT w.a, sum(p_size[w.d]) AS b, count(*) AS c FROM unnest(t_account, t_del) AS w(a, d) GROUP BY w.a) s
			JOIN accounts c ON c.id = s.a;
	END IF;
	IF NOT coalesce(ok, false) THEN
		FOR d IN 1..nd LOOP
			e := t + d_ntargets[d] - 1;
			RETURN QUERY SELECT d - 1, r.* FROM petrel_deliver(t_account[t:e], t_mailbox[t:e], t_name[t:e],
				t_flags[t:e], t_keywords[t:e], p_size[d], p_blob[d], p_data[d], p_chunk, p_meta[d],
				coalesce(p_keys[k:k + d_nkeys[d] - 1], '{}'), p_idate[d], p_izone[d], p_atomic[d]) AS r;
			t := e + 1;
			k := k + d_nkeys[d];
		END LOOP;
		RETURN;
	END IF;

	-- The accounts' charges; a state raised once per delivery, each
	-- target getting its delivery's.
	WITH s AS (SELECT w.a, sum(p_size[w.d]) AS b, count(*) AS c, count(DISTINCT w.d) AS k
			FROM unnest(t_account, t_del) AS w(a, d) GROUP BY w.a),
		up AS (UPDATE accounts c SET used_bytes = c.used_bytes + s.b, used_messages = c.used_messages + s.c,
			state = c.state + s.k FROM s WHERE c.id = s.a RETURNING c.id, c.state - s.k AS st0)
	SELECT array_agg(up.st0 + r.rk ORDER BY r.n) INTO st
		FROM (SELECT w.n, w.a, dense_rank() OVER (PARTITION BY w.a ORDER BY w.d) AS rk
			FROM unnest(t_account, t_del) WITH ORDINALITY AS w(a, d, n)) r
		JOIN up ON up.id = r.a;

	-- The mailboxes: a UID and a MODSEQ per target, in the targets' order.
	WITH tg AS (SELECT w.n, w.m, w.d, CASE WHEN w.f & 1 = 0 THEN 1 ELSE 0 END AS unseen,
				row_number() OVER (PARTITION BY w.m ORDER BY w.n) AS rk
			FROM unnest(mb, t_del, t_flags) WITH ORDINALITY AS w(m, d, f, n)),
		s AS (SELECT tg.m, count(*) AS c, sum(tg.unseen) AS un, sum(p_size[tg.d]) AS b FROM tg GROUP BY tg.m),
		up AS (UPDATE mailboxes x SET uidnext = x.uidnext + s.c, highestmodseq = x.highestmodseq + s.c,
			messages = x.messages + s.c, unseen = x.unseen + s.un, size = x.size + s.b
			FROM s WHERE x.id = s.m
			RETURNING x.id, x.uidvalidity, x.uidnext - s.c AS uid0, x.highestmodseq - s.c AS ms0)
	SELECT array_agg(up.uidvalidity ORDER BY tg.n), array_agg(up.uid0 + tg.rk - 1 ORDER BY tg.n),
			array_agg(up.ms0 + tg.rk ORDER BY tg.n)
		INTO uv, u, ms
		FROM tg JOIN up ON up.id = tg.m;

	-- The bodies: a new row for each body of the call, the written ones
	-- (p_blob) taken, one reference per target.
	SELECT array_agg(CASE WHEN w.b <> 0 THEN w.b ELSE nextval(pg_get_serial_sequence('blobs', 'id')) END ORDER BY w.d)
		INTO bl FROM unnest(p_blob) WITH ORDINALITY AS w(b, d);
	INSERT INTO blobs(id, size, refs, chunk, meta, data)
		SELECT bl[w.d], w.size, w.refs, p_chunk, w.meta, w.data
		FROM unnest(p_size, p_blob, d_ntargets, p_meta, p_data) WITH ORDINALITY AS w(size, b, refs, meta, data, d)
		WHERE w.b = 0;
	UPDATE blobs x SET refs = w.refs, meta = w.meta
		FROM unnest(p_blob, d_ntargets, p_meta) AS w(b, refs, meta) WHERE w.b <> 0 AND x.id = w.b;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n <> (SELECT count(*) FROM unnest(p_blob) AS x WHERE x <> 0) THEN
		RAISE EXCEPTION 'a body was removed before its delivery' USING ERRCODE = 'PB001';
	END IF;

	-- The threads, delivery by delivery (as petrel_deliver).
	thr := array_fill(0::bigint, ARRAY[nt]);
	FOR d IN 1..nd LOOP
		e := t + d_ntargets[d] - 1;
		nk := d_nkeys[d];
		FOR i IN t..e LOOP
			CONTINUE WHEN thr[i] <> 0;
			th := bl[d];
			IF nk = 1 THEN
				INSERT INTO thread_keys(account, key, thread) VALUES (t_account[i], p_keys[k], bl[d])
					ON CONFLICT (account, key) DO UPDATE SET thread = thread_keys.thread RETURNING thread INTO th;
			ELSIF nk > 1 THEN
				SELECT x.thread INTO th FROM thread_keys x
					JOIN unnest(p_keys[k:k + nk - 1]) WITH ORDINALITY AS w(key, n) ON w.key = x.key
					WHERE x.account = t_account[i] ORDER BY w.n LIMIT 1;
				th := coalesce(th, bl[d]);
				INSERT INTO thread_keys(account, key, thread) SELECT t_account[i], w.key, th
					FROM unnest(p_keys[k:k + nk - 1]) AS w(key) ON CONFLICT DO NOTHING;
			END IF;
			FOR j IN i..e LOOP
				IF t_account[j] = t_account[i] THEN
					thr[j] := th;
				END IF;
			END LOOP;
		END LOOP;
		t := e + 1;
		k := k + nk;
	END LOOP;

	INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid)
		SELECT w.m, w.u, w.ms, w.f, w.kw, p_idate[w.d], p_izone[w.d], p_size[w.d], bl[w.d], w.th
		FROM unnest(mb, u, ms, t_flags, t_keywords, t_del, thr) AS w(m, u, ms, f, kw, d, th);

	RETURN QUERY SELECT w.d - 1, w.i, 0, w.m, w.uv, w.u, w.ms, bl[w.d], w.st
		FROM unnest(t_del, t_idx, mb, uv, u, ms, st) AS w(d, i, m, uv, u, ms, st);
END
$fn$;
`
