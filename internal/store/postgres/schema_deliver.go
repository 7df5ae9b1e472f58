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
