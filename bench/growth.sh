#!/bin/bash
# Cost as the store grows (issue 21, docs/benchmarks.md "Growth: 1, 5 and
# 10 million messages"): fills a Petrel store with generated mail over
# 10,000 accounts, incrementally to each size of SIZES, and at each size
# measures a running `petrel serve`: its startup time and RSS at rest,
# `petrel queue list` over 1,000 held messages, SMTP deliveries/s,
# IMAP SELECT and UID FETCH 1:* (FLAGS) of a 100,000-message INBOX,
# POP3 login + STAT of a 10,000-message maildrop, and the store's size
# on disk per message.
#
#   bench/growth.sh ["1000000 5000000 10000000"]
#
# STORE="sqlite" (default) or "postgres" (a fresh database on PG_DSN,
# bench/lib/store.sh, dropped at the end unless KEEP=1): one backend per run, since two
# 10-million-message stores do not fit beside each other. The fill
# (cmd/growthbench: store.Mail.AppendBatch in batches of 500, 6 accounts at
# a time) runs under `nice -n 19`. The full-text index is left out: the
# fill empties text_unindexed, so the server's indexer finds nothing to
# do (indexing runs at ~600 bodies/s on 2 loaded cores and triples the
# store; docs/benchmarks.md gives its size per message apart). KEEP=1
# keeps the store after the run (default: deleted); REUSE=1 (sqlite)
# tops up the store a KEEP=1 run left (postgres: KEEP=1 keeps the
# database too, and names it at the end; drop it by hand). Ports: SMTP_PORT,
# IMAP_PORT, POP3_PORT, HTTP_PORT (14425, 14443, 14410, 14480).
# PROFILE_S=N (with PPROF_PORT, default HTTP_PORT + 2) takes an N-second
# CPU profile of the server from the start of the SMTP deliveries into
# $STATE/cpu-$STORE-<size>.prof, and waits for it before the IMAP runs.
set -euo pipefail

SIZES=${1:-1000000 5000000 10000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-growth}
SMTP_PORT=${SMTP_PORT:-14425}
IMAP_PORT=${IMAP_PORT:-14443}
POP3_PORT=${POP3_PORT:-14410}
HTTP_PORT=${HTTP_PORT:-14480}
SMTP_N=${SMTP_N:-2000}
KEEP=${KEEP:-0}
PROFILE_S=${PROFILE_S:-0}
PPROF_PORT=${PPROF_PORT:-$((HTTP_PORT + 2))}
REUSE=${REUSE:-0}
# The layout (growthbench fill flags): accounts, and the messages of
# big@'s and pop@'s INBOX; smaller ones make a quick trial run.
USERS=${USERS:-10000} BIG=${BIG:-100000} POP=${POP:-10000}

PROG=bench/growth.sh
. "$ROOT/bench/lib/common.sh"
PROG_TAG=growth
. "$ROOT/bench/lib/store.sh"
[[ $STORE = sqlite || $STORE = postgres ]] || die "STORE: one backend per run (sqlite or postgres)"
command -v sqlite3 >/dev/null || [ "$STORE" = postgres ] || die "sqlite3 missing (Debian sqlite3)"

mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/growth" ./cmd/growthbench)
DATA=$STATE/data-$STORE DSN=""
[ "$REUSE" = 1 ] && [ "$STORE" = sqlite ] || rm -rf "$DATA"
if [ "$STORE" = postgres ]; then pg_create data; DSN=$PG_LEG_DSN; fi
CONF=$STATE/petrel-$STORE.toml
cat >"$CONF" <<TOML
hostname = "growth.test"
data_dir = "$DATA"
[listen]
smtp = ["127.0.0.1:$SMTP_PORT"]
submission = []
submissions = []
imap = ["127.0.0.1:$IMAP_PORT"]
imaps = []
pop3 = ["127.0.0.1:$POP3_PORT"]
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
[tls]
allow_insecure_auth = true
[smtp]
max_connections_per_ip = 1000
verify_senders = false
[limits]
max_connections_per_ip = 1000
[dns]
servers = ["127.0.0.1:$((HTTP_PORT + 1))"]
[log]
level = "warn"
TOML
storage_toml "$STORE" "$DSN" >>"$CONF"
P() { "$STATE/petrel" --config "$CONF" "$@"; }
PID=""
stop_server() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
}
cleanup() {
	stop_server
	if [ "$KEEP" = 1 ]; then
		[ "$STORE" = postgres ] && echo "kept: database ${PG_DBS[*]} at $PG_DSN"
	else
		pg_drop_all
		rm -rf "$DATA"
	fi
}
trap cleanup EXIT
trap "exit 1" TERM INT
for port in "$SMTP_PORT" "$IMAP_PORT" "$POP3_PORT" "$HTTP_PORT"; do
	busy 127.0.0.1 "$port" && die "port $port is already in use"
done

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# store_bytes prints the store's size on disk: the data directory, and
# for postgres the database.
store_bytes() {
	local b
	b=$(du -sb "$DATA" | awk '{print $1}')
	if [ "$STORE" = postgres ]; then
		b=$((b + $(psql -tAq "$DSN" -c "SELECT pg_database_size(current_database())")))
	fi
	echo "$b"
}
# stored prints the number of messages in the store (the fill tops up to
# a size; the SMTP runs add to it).
stored() {
	local q="SELECT coalesce(sum(messages), 0) FROM mailboxes"
	if [ "$STORE" = postgres ]; then psql -tAq "$DSN" -c "$q"; else sqlite3 -readonly "$DATA/petrel.db" "$q"; fi
}
# cpu_ms prints the CPU time (user + system) of process $1 in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
# unlist_text empties the full-text indexer's backlog (see above).
unlist_text() {
	if [ "$STORE" = postgres ]; then
		psql -q "$DSN" -c "TRUNCATE text_unindexed" >/dev/null
	else
		sqlite3 "$DATA/petrel.db" "DELETE FROM text_unindexed; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	fi
}

for size in $SIZES; do
	echo "== $STORE: filling to $size messages ($(date -u +%H:%M:%S), load $(uptime | sed 's/.*average: //'))"
	T0=$(now)
	nice -n 19 "$STATE/growth" fill -driver "$STORE" -dir "$DATA" -dsn "$DSN" -total "$size" \
		-workers 6 -batch 500 -index=false \
		-users "$USERS" -big "$BIG" -pop "$POP" | grep -v '^  '
	echo "fill: $(fsub "$(now)" "$T0")s"
	unlist_text
	bytes=$(store_bytes) n=$(stored)
	echo "messages $n"
	echo "store_bytes $bytes ($(awk -v b="$bytes" -v n="$n" 'BEGIN{printf "%.0f", b/n}') per message)"
	T0=$(now)
	if [ "$PROFILE_S" -gt 0 ]; then
		PETREL_PPROF=127.0.0.1:$PPROF_PORT "$STATE/petrel" --config "$CONF" serve 2>>"$STATE/serve-$STORE.log" &
	else
		"$STATE/petrel" --config "$CONF" serve 2>>"$STATE/serve-$STORE.log" &
	fi
	PID=$!
	up=0
	for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && { up=1; break; }; sleep 0.05; done
	[ $up = 1 ] || die "petrel did not start; see $STATE/serve-$STORE.log"
	echo "startup_s $(fsub "$(now)" "$T0") (page cache warm from the fill), cpu_ms $(cpu_ms "$PID")"
	sleep 10
	echo "rss_at_rest_kib $(rss_kib "$PID")"
	T0=$(now)
	q=$(P queue list | wc -l)
	echo "queue_list_s $(fsub "$(now)" "$T0") ($q lines)"
	echo "load $(uptime | sed 's/.*average: //')"
	c0=$(cpu_ms "$PID") prof=""
	if [ "$PROFILE_S" -gt 0 ]; then
		curl -sf -o "$STATE/cpu-$STORE-$size.prof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=$PROFILE_S" &
		prof=$!
	fi
	"$STATE/growth" measure -smtp "127.0.0.1:$SMTP_PORT" -n "$SMTP_N" -users "$USERS"
	echo "smtp_server_cpu_us_per_msg $(($(cpu_ms "$PID") - c0))000 / $SMTP_N" |
		awk '{printf "%s %.0f\n", $1, $2 / $4}'
	if [ -n "$prof" ]; then
		wait "$prof" || echo "profile failed"
		echo "cpu_profile $STATE/cpu-$STORE-$size.prof (${PROFILE_S} s from the first delivery)"
	fi
	# Five runs of each (growth measure -runs), the server's CPU per run.
	c0=$(cpu_ms "$PID")
	"$STATE/growth" measure -imap "127.0.0.1:$IMAP_PORT" -users "$USERS"
	echo "imap_server_cpu_ms_per_run $((($(cpu_ms "$PID") - c0) / 5)) (a LOGIN, SELECT and UID FETCH of big@, a LOGIN and SELECT of a small INBOX)"
	c0=$(cpu_ms "$PID")
	"$STATE/growth" measure -pop3 "127.0.0.1:$POP3_PORT" -users "$USERS"
	echo "pop3_server_cpu_ms_per_login $((($(cpu_ms "$PID") - c0) / 5))"
	sleep 10
	echo "rss_after_kib $(rss_kib "$PID")"
	stop_server
done
