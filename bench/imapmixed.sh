#!/bin/bash
# IMAP under a mixed load (issue 21): CLIENTS clients (default 20), each
# alone on its user's INBOX (users bench1..benchCLIENTS), loop through
# sessions of LOGIN, SELECT, FETCH 1:* (UID FLAGS), FETCH of ENVELOPE
# INTERNALDATE RFC822.SIZE, UID FETCH BODY.PEEK[], STORE +FLAGS/-FLAGS/
# FLAGS, STORE \Deleted + EXPUNGE, APPEND (LITERAL+) + NOOP and LOGOUT,
# like imaptest's default profile, keeping each mailbox near SIZE
# messages. Every reply is checked against the client's model of its
# mailbox (FLAGS after STORE, the order of EXPUNGE responses, EXISTS,
# APPENDUID, the bytes of BODY[], the Message-ID in ENVELOPE); any wrong
# reply stops the run. Petrel and Dovecot 2.3 (bench/lib/dovecot.sh,
# Maildir, its default one process per connection) in the same run, each
# for DURATION, RUNS times, the order alternating: commands/s and the CPU
# time (utime+stime from /proc, children included) of each server's
# process tree per command.
#
#   bench/imapmixed.sh [DURATION] [RUNS]        defaults: 30s 3
#
# Petrel's backend: STORE="sqlite" (default), "postgres", or "sqlite
# postgres" (bench/lib/store.sh: a fresh PostgreSQL database, dropped at
# the end). BEFORE=/path/to/petrel adds a leg "Petrel-before" (SQLite)
# served by that binary (an older build, for before/after figures in the
# same run). PROFILE=1 writes each Petrel leg's CPU profile to
# $STATE/cpu-NAME.prof (PETREL_CPUPROFILE; `go tool pprof`). Environment:
# PG_PID: the PostgreSQL server's postmaster when it runs on this machine
# and serves nothing else, whose process tree's CPU then counts with
# Petrel's (else Petrel-PG's CPU per command is Petrel's alone). CLIENTS,
# SIZE (30), ROUNDS (5 rounds of work per session), SAME_BODIES=1
# (APPEND the corpus as it is: the same bodies in every mailbox, which the
# store keeps once; else each message gets a header line of its own), IMAP_PORT
# (14301: leg i on IMAP_PORT+i, HTTP on HTTP_PORT+i, 14351), PETREL_BENCH_STATE.
# Loopback only; stops by itself and stops only what it started. Needs
# dovecot-imapd (Debian).
set -euo pipefail

DURATION=${1:-30s}; RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-imapmixed}
IMAP_PORT=${IMAP_PORT:-14301}
HTTP_PORT=${HTTP_PORT:-14351}
CLIENTS=${CLIENTS:-20} SIZE=${SIZE:-30} ROUNDS=${ROUNDS:-5}
BEFORE=${BEFORE:-}

PROG=bench/imapmixed.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/dovecot.sh"
PROG_TAG=imapmixed
. "$ROOT/bench/lib/store.sh"
[ "$CLIENTS" -le "$DOVECOT_USERS" ] || die "CLIENTS: at most $DOVECOT_USERS"

mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/imapbench" ./bench/imapbench &&
	go build -o "$STATE/genmbox" ./bench/genmbox)
MBOX=$STATE/mbox-500
[ -s "$MBOX" ] || { "$STATE/genmbox" -n 500 -o "$MBOX.tmp" && mv "$MBOX.tmp" "$MBOX"; }

petrel_toml() { # data_dir imap_port http_port backend dsn
	cat <<TOML
hostname = "bench.test"
data_dir = "$1"
[listen]
smtp = []
submission = []
submissions = []
imap = ["127.0.0.1:$2"]
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$3"]
[tls]
allow_insecure_auth = true
[log]
level = "warn"
TOML
	storage_toml "$4" "$5"
}

NAMES=() CONFS=() BINS=() PIDS=() SERVERS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "$DOVECOT_STARTED" = 1 ]; then dovecot_stop; fi
	pg_drop_all
}
DOVECOT_STARTED=0
trap cleanup EXIT

legs=()
for backend in $STORE; do legs+=("$backend:$STATE/petrel"); done
[ -z "$BEFORE" ] || legs+=("before:$BEFORE")
i=0
for leg in "${legs[@]}"; do
	backend=${leg%%:*} bin=${leg#*:} dsn="" name=Petrel
	case $backend in
	postgres) pg_create "mixed$i"; dsn=$PG_LEG_DSN name=Petrel-PG ;;
	sqlite) [ "$STORE" = sqlite ] || name=Petrel-SQLite ;;
	before) backend=sqlite name=Petrel-before ;;
	esac
	data=$STATE/data-$i
	rm -rf "$data"
	for port in "$((IMAP_PORT + i))" "$((HTTP_PORT + i))"; do busy 127.0.0.1 "$port" && die "port $port is already in use"; done
	petrel_toml "$data" "$((IMAP_PORT + i))" "$((HTTP_PORT + i))" "$backend" "$dsn" >"$STATE/petrel-$i.toml"
	"$bin" --config "$STATE/petrel-$i.toml" domain add bench.test
	for u in $(seq 1 "$CLIENTS"); do
		echo pass | "$bin" --config "$STATE/petrel-$i.toml" user add "bench$u@bench.test" --password-stdin >/dev/null
	done
	prof=()
	[ "${PROFILE:-0}" != 1 ] || prof=(env "PETREL_CPUPROFILE=$STATE/cpu-$name.prof")
	"${prof[@]}" "$bin" --config "$STATE/petrel-$i.toml" serve 2>>"$STATE/petrel-$i.log" &
	PIDS+=($!)
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((HTTP_PORT + i))/healthz" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$((HTTP_PORT + i))/healthz" >/dev/null || die "petrel did not start; see $STATE/petrel-$i.log"
	pids=${PIDS[-1]}
	if [ "$backend" = postgres ] && [ -n "${PG_PID:-}" ]; then pids+="+$PG_PID"; fi
	SERVERS+=(-server "$name=127.0.0.1:$((IMAP_PORT + i)),bench%d@bench.test,pass,$pids")
	i=$((i + 1))
done
dovecot_start
for u in $(seq 1 "$CLIENTS"); do dovecot_wipe "bench$u"; done
echo "== mixed IMAP load: $CLIENTS clients, $DURATION x $RUNS per server; load: $(uptime | sed 's/.*load average: //')"
"$STATE/imapbench" mixed -clients "$CLIENTS" -duration "$DURATION" -runs "$RUNS" -size "$SIZE" -rounds "$ROUNDS" \
	-mbox "$MBOX" $([ "${SAME_BODIES:-0}" = 1 ] && echo -same-bodies) -server "Dovecot=127.0.0.1:$DOVECOT_IMAP,bench%d,pass,$(dovecot_pid)" "${SERVERS[@]}"
echo "load after: $(uptime | sed 's/.*load average: //')"
