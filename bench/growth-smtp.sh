#!/bin/bash
# The server's CPU per SMTP delivery on a store a growth run kept (issue
# 21, docs/benchmarks.md "Growth": the curve that is not flat), in runs
# on one server: the first right after its start (the page caches cold,
# as in bench/growth.sh), the next ones warm. For each run: messages a
# second, the server's CPU a delivery while they ran (utime + stime) and
# the indexer's after (until the server is idle), the bytes it wrote and
# read from the disk a delivery (/proc/PID/io write_bytes, read_bytes).
# PROFILE_S=N
# takes an N-second CPU profile of each run from its first delivery (keep
# it shorter than the deliveries); STRACE=1 counts the server's
# pread64/pwrite64/fsync calls a delivery, by file, during the deliveries
# of a further run (strace: slows it, so its CPU is not reported).
#
#   KEEP=1 bench/growth.sh 1000000      # leaves $STATE/data-sqlite
#   bench/growth-smtp.sh [RUNS]         # default 3
#
# PETREL (default: a build of this tree) is the server binary: a variant
# build measures a change against the same store. USERS as the growth
# run's. Ports: SMTP_PORT, HTTP_PORT (14025, 14080), PPROF_PORT (HTTP_PORT + 2).
set -euo pipefail

RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-growth}
DATA=${DATA:-$STATE/data-sqlite}
SMTP_PORT=${SMTP_PORT:-14025}
HTTP_PORT=${HTTP_PORT:-14080}
PPROF_PORT=${PPROF_PORT:-$((HTTP_PORT + 2))}
SMTP_N=${SMTP_N:-2000}
USERS=${USERS:-10000}
PROFILE_S=${PROFILE_S:-0}
STRACE=${STRACE:-0}
TAG=${TAG:-run}
PROG=bench/growth-smtp.sh
. "$ROOT/bench/lib/common.sh"
[ -f "$DATA/petrel.db" ] || die "no store at $DATA (KEEP=1 bench/growth.sh SIZE first)"
command -v sqlite3 >/dev/null || die "sqlite3 missing (Debian sqlite3)"
if [ -z "${PETREL:-}" ]; then
	(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel)
	PETREL=$STATE/petrel
fi
(cd "$ROOT" && go build -o "$STATE/growth" ./cmd/growthbench)
CONF=$STATE/petrel-smtp.toml
cat >"$CONF" <<TOML
hostname = "growth.test"
data_dir = "$DATA"
[listen]
smtp = ["127.0.0.1:$SMTP_PORT"]
submission = []
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
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
PID=""
cleanup() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
}
trap cleanup EXIT
trap "exit 1" TERM INT

cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
wbytes() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
rbytes() { awk '/^read_bytes/ {print $2}' "/proc/$1/io"; }
backlog() { sqlite3 -readonly "$DATA/petrel.db" "SELECT count(*) FROM text_unindexed WHERE over = 0"; }
# idle waits until the indexer has nothing left and the server's CPU
# stands still for a second.
idle() {
	local c
	for _ in $(seq 1 600); do
		c=$(cpu_ms "$PID")
		sleep 1
		[ "$(backlog)" = 0 ] && [ $(($(cpu_ms "$PID") - c)) -lt 20 ] && return 0
	done
	die "the server did not go idle"
}

PETREL_PPROF=127.0.0.1:$PPROF_PORT "$PETREL" --config "$CONF" serve 2>>"$STATE/serve-smtp.log" &
PID=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.05; done
idle
echo "messages $(sqlite3 -readonly "$DATA/petrel.db" "SELECT sum(messages) FROM mailboxes"), load $(uptime | sed 's/.*average: //')"
for run in $(seq 1 "$RUNS"); do
	c0=$(cpu_ms "$PID") w0=$(wbytes "$PID") r0=$(rbytes "$PID") prof=""
	if [ "$PROFILE_S" -gt 0 ]; then
		curl -sf -o "$STATE/cpu-smtp-$TAG-$run.prof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=$PROFILE_S" &
		prof=$!
	fi
	rate=$("$STATE/growth" measure -smtp "127.0.0.1:$SMTP_PORT" -n "$SMTP_N" -users "$USERS" | awk '{print $2}')
	c1=$(cpu_ms "$PID") w1=$(wbytes "$PID") r1=$(rbytes "$PID")
	[ -z "$prof" ] || wait "$prof" || echo "profile failed"
	idle
	c2=$(cpu_ms "$PID")
	awk -v r="$run" -v rate="$rate" -v d=$((c1 - c0)) -v i=$((c2 - c1)) -v w=$((w1 - w0)) -v rd=$((r1 - r0)) -v n="$SMTP_N" -v l="$(uptime | sed 's/.*average: //')" \
		'BEGIN{printf "run %d: %s msgs/s, server CPU %.0f us a delivery, indexer after %.0f us, written %.0f B and read from the disk %.0f B a delivery (load %s)\n", r, rate, d*1000/n, i*1000/n, w/n, rd/n, l}'
done
if [ "$STRACE" = 1 ]; then
	strace -f -y -e trace=pread64,pwrite64,fsync,fdatasync -o "$STATE/strace-$TAG.txt" -p "$PID" 2>/dev/null &
	st=$!
	sleep 1
	"$STATE/growth" measure -smtp "127.0.0.1:$SMTP_PORT" -n "$SMTP_N" -users "$USERS" >/dev/null
	kill -INT "$st"; wait "$st" 2>/dev/null || true
	# Calls a delivery by system call, file and size (a WAL frame is a
	# 24-byte header and a page; a checkpoint reads it from the WAL and
	# writes it in the database).
	sed -n 's/^[0-9]* *\(pread64\|pwrite64\|fsync\|fdatasync\)([0-9]*<[^>]*\/\([^/>]*\)>\(, .*, \([0-9]*\), [0-9]*\)\{0,1\}) = .*/\1 \2 \4/p' "$STATE/strace-$TAG.txt" |
		sort | uniq -c | sort -rn | awk -v n="$SMTP_N" '{printf "%s %s %s: %.1f a delivery\n", $2, $3, $4, $1 / n}'
fi
