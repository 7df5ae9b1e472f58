#!/bin/bash
# IMAP on a large mailbox, and many IDLE connections: Petrel side by side
# with Dovecot (bench/lib/dovecot.sh, Maildir), in one run, with the
# same client (bench/imapbench, a raw-socket IMAP client) and the same
# messages (bench/genmbox) in the same order with the same
# flags and dates (APPENDed to Petrel, written into Dovecot's Maildir).
#
#   bench/imap.sh [N] [RUNS] [IDLE_CONNS]     defaults: 100000 5 10000
#
# 1. Fills bench100's INBOX on both servers with N messages, then times
#    on each server in turn, RUNS times (median and minimum reported):
#    SELECT INBOX; UID FETCH 1:* (UID FLAGS); FETCH 1:200 (ENVELOPE
#    BODYSTRUCTURE); the same for 200 messages x:x+199 at a random place
#    no run fetched before (neither server has them cached); UID SEARCH
#    TEXT "$WORD"; UID SORT (DATE), UID SORT (SUBJECT) and UID THREAD
#    REFERENCES over the whole mailbox (answers compared by hash); and a
#    CONDSTORE resync (a
#    client notes HIGHESTMODSEQ, another session changes the flags of 100
#    messages, one STORE each, and the client comes back: SELECT INBOX
#    (CONDSTORE) + UID FETCH 1:* (FLAGS) (CHANGEDSINCE m) is timed); UID
#    FETCH 1:* (FLAGS ENVELOPE) in clear and after COMPRESS DEFLATE (RFC
#    4978), with the octets each server sent for it.
# 2. Restarts Petrel and holds IDLE_CONNS authenticated connections (users
#    bench51..bench90, INBOX selected, in IDLE) from 100 source addresses
#    127.0.0.2..127.0.0.101, measures the RSS of the petrel process 10 s
#    after the last login and again IDLE_HOLD (default 130s: past Go's
#    forced GC every 2 minutes) later, then appends a message for each user
#    and checks that every connection hears of it. Dovecot gets the same with DOVECOT_IDLE connections
#    (default 900: its private instance runs at most 1000 processes, one
#    per connection); its memory is the sum over its process tree (RSS,
#    and PSS, which counts shared pages once).
#
# Petrel's backend: STORE="sqlite" (default), "postgres", or "sqlite
# postgres" for both side by side in the same run (bench/lib/store.sh; a
# fresh PostgreSQL database, filled by APPEND like SQLite, dropped at the
# end; instance i on IMAP_PORT+i, HTTP_PORT+i).
#
# BEFORE=/path/to/petrel adds a leg "Petrel-before": that binary (an older
# build) serving a copy of the SQLite leg's data, for before/after figures
# in the same run (OPS_ONLY=TEXT runs only the operations whose name
# contains TEXT, e.g. OPS_ONLY="FLAGS ENVELOPE").
#
# Environment: WORD (default Mallory), REUSE=1 keeps mailboxes that
# already hold N messages (Petrel's data in $PETREL_BENCH_STATE, Dovecot's
# bench100), SKIP_OPS=1, SKIP_IDLE=1, DOVECOT_IDLE=0 skips Dovecot's IDLE
# leg, IDLE_COMPRESS=1 has Petrel's IDLE connections run COMPRESS DEFLATE
# (RFC 4978) after the login. Everything runs on loopback addresses and stops by itself; the
# script stops only what it started. Needs dovecot-imapd (Debian).
set -euo pipefail

N=${1:-100000}; RUNS=${2:-5}; IDLE_CONNS=${3:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-imap}
IMAP_PORT=${IMAP_PORT:-12143}
HTTP_PORT=${HTTP_PORT:-12082}
WORD=${WORD:-Mallory}
REUSE=${REUSE:-0}
DOVECOT_IDLE=${DOVECOT_IDLE:-900}
IDLE_HOLD=${IDLE_HOLD:-130s}
BIG=bench100            # the user with the N-message INBOX, on both servers
IDLE_FIRST=51 IDLE_USERS=40

PROG=bench/imap.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/dovecot.sh"
PROG_TAG=imap
. "$ROOT/bench/lib/store.sh"
# Each side of 10,000 connections needs a descriptor per connection.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((IDLE_CONNS + 200)) ] || die "ulimit -n $(ulimit -n) is too low for $IDLE_CONNS connections"

mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/imapbench" ./bench/imapbench &&
	go build -o "$STATE/genmbox" ./bench/genmbox)
MBOX=$STATE/mbox-$N
if [ ! -s "$MBOX" ]; then
	"$STATE/genmbox" -n "$N" -o "$MBOX.tmp" && mv "$MBOX.tmp" "$MBOX"
fi
B=$STATE/imapbench
# One Petrel instance per backend of STORE (bench/lib/store.sh): instance
# i listens on IMAP_PORT+i and HTTP_PORT+i; its data_dir is $STATE/data
# for sqlite (what REUSE keeps) and $STATE/data-pg for postgres (a new
# database each run: REUSE does not apply to it).
NAMES=() CONFS=() PIDS=() IPORTS=() BINS=()
petrel_toml() {
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
[imap]
max_connections = $((IDLE_CONNS + 1000))
max_connections_per_ip = 1000
[limits]
max_connections_per_ip = 1000
[log]
level = "warn"
TOML
	storage_toml "$4" "$5"
}
cleanup() {
	local i
	for i in "${!PIDS[@]}"; do stop_petrel "$i"; done
	if [ "$DOVECOT_STARTED" = 1 ]; then dovecot_stop; fi
	pg_drop_all
}
trap cleanup EXIT
i=0
for backend in $STORE; do
	dsn="" data=$STATE/data name=Petrel
	if [ "$backend" = postgres ]; then
		pg_create imap; dsn=$PG_LEG_DSN data=$STATE/data-pg name=Petrel-PG
		rm -rf "$data"
	fi
	[ "$STORE" = sqlite ] || [ "$backend" = postgres ] || name=Petrel-SQLite
	for port in "$((IMAP_PORT + i))" "$((HTTP_PORT + i))"; do busy 127.0.0.1 "$port" && die "port $port is already in use"; done
	petrel_toml "$data" "$((IMAP_PORT + i))" "$((HTTP_PORT + i))" "$backend" "$dsn" >"$STATE/petrel-$backend.toml"
	NAMES+=("$name") CONFS+=("$STATE/petrel-$backend.toml") IPORTS+=("$((IMAP_PORT + i))") PIDS+=("")
	P() { "$STATE/petrel" --config "${CONFS[$i]}" "$@"; }
	if [ "$backend" = postgres ] || [ "$REUSE" != 1 ] || [ ! -d "$data" ]; then
		rm -rf "$data"
		P domain add bench.test
		for u in $(seq 1 100); do echo pass | P user add "bench$u@bench.test" --password-stdin >/dev/null; done
	fi
	i=$((i + 1))
done

DOVECOT_STARTED=0
# start_petrel I starts instance I and waits for its health check.
start_petrel() {
	"${BINS[$1]:-$STATE/petrel}" --config "${CONFS[$1]}" serve 2>>"$STATE/petrel-$1.log" &
	PIDS[$1]=$!
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((HTTP_PORT + $1))/healthz" >/dev/null && return 0; sleep 0.1; done
	die "petrel did not start; see $STATE/petrel-$1.log"
}
stop_petrel() {
	[ -n "${PIDS[$1]}" ] || return 0
	kill -TERM "${PIDS[$1]}" 2>/dev/null || true
	wait "${PIDS[$1]}" 2>/dev/null || true
	PIDS[$1]=""
}
for i in "${!CONFS[@]}"; do start_petrel "$i"; done
dovecot_start
DOVECOT_PID=$(dovecot_pid)

count() { $B count -addr "127.0.0.1:$1" -user "$2"; }
echo "== $N messages ($(du -h "$MBOX" | cut -f1) mbox) in $BIG's INBOX"
if [ "$REUSE" = 1 ] && [ "$(count $DOVECOT_IMAP $BIG)" = "$N" ]; then
	echo "Dovecot: reusing $BIG's $N messages"
else
	# Dovecot's Maildir APPEND slows down with the mailbox (it rewrites
	# dovecot-uidlist: under 200 messages/s past 20,000), so the same
	# messages, flags and dates go into the Maildir as files, which
	# Dovecot indexes (in file name order) at the next STATUS.
	dovecot_wipe $BIG
	echo -n "Dovecot: "; $B maildir -dir "$DOVECOT_MAIL/$BIG/Maildir" -mbox "$MBOX" -n "$N"
	chown -R mail:mail "$DOVECOT_MAIL/$BIG"
	t0=$(date +%s.%N)
	got=$(count $DOVECOT_IMAP $BIG)
	echo "Dovecot: indexed $got messages in $(echo "$(date +%s.%N) - $t0" | bc) s"
	[ "$got" = "$N" ] || die "Dovecot sees $got messages, want $N"
fi
SERVERS=(-server "Dovecot=127.0.0.1:$DOVECOT_IMAP,$BIG,pass")
for i in "${!CONFS[@]}"; do
	name=${NAMES[$i]} port=${IPORTS[$i]}
	if [ "$REUSE" = 1 ] && [ "$(count "$port" $BIG@bench.test)" = "$N" ]; then
		echo "$name: reusing $BIG's $N messages"
	else
		echo -n "$name: "; $B fill -addr "127.0.0.1:$port" -user $BIG@bench.test -mbox "$MBOX" -n "$N"
	fi
	SERVERS+=(-server "$name=127.0.0.1:$port,$BIG@bench.test,pass")
done
if [ -n "${BEFORE:-}" ]; then
	# An older build on a copy of the SQLite leg's data (instance 0),
	# for before/after figures in the same run.
	[ "${STORE%% *}" = sqlite ] || die "BEFORE needs the sqlite leg first in STORE"
	i=${#CONFS[@]}
	stop_petrel 0
	rm -rf "$STATE/data-before" && cp -a "$STATE/data" "$STATE/data-before"
	start_petrel 0
	petrel_toml "$STATE/data-before" "$((IMAP_PORT + i))" "$((HTTP_PORT + i))" sqlite "" >"$STATE/petrel-before.toml"
	NAMES+=(Petrel-before) CONFS+=("$STATE/petrel-before.toml") IPORTS+=("$((IMAP_PORT + i))") PIDS+=("") BINS[i]=$BEFORE
	start_petrel "$i"
	SERVERS+=(-server "Petrel-before=127.0.0.1:$((IMAP_PORT + i)),$BIG@bench.test,pass")
fi

if [ "${SKIP_OPS:-0}" != 1 ]; then
	echo "== operations (each on a fresh connection; every server in turn, $RUNS runs)"
	$B ops -n "$N" -runs "$RUNS" -word "$WORD" -only "${OPS_ONLY:-}" "${SERVERS[@]}"
fi

if [ "${SKIP_IDLE:-0}" != 1 ]; then
	for i in "${!CONFS[@]}"; do
		echo "== $IDLE_CONNS IDLE connections to ${NAMES[$i]} (fresh process; users bench$IDLE_FIRST..bench$((IDLE_FIRST + IDLE_USERS - 1)))"
		stop_petrel "$i"
		start_petrel "$i"
		$B idle -addr "127.0.0.1:${IPORTS[$i]}" -n "$IDLE_CONNS" -user-fmt 'bench%d@bench.test' \
			-user-first $IDLE_FIRST -users $IDLE_USERS -src-first 127.0.0.2 -src-count 100 -pid "${PIDS[$i]}" -hold "$IDLE_HOLD" \
			$([ "${IDLE_COMPRESS:-0}" = 1 ] && echo -compress)
	done
	if [ "$DOVECOT_IDLE" -gt 0 ]; then
		echo "== $DOVECOT_IDLE IDLE connections to Dovecot (same users)"
		$B idle -addr "127.0.0.1:$DOVECOT_IMAP" -n "$DOVECOT_IDLE" -user-fmt 'bench%d' \
			-user-first $IDLE_FIRST -users $IDLE_USERS -src-first 127.0.0.2 -src-count 100 -pid "$DOVECOT_PID"
	fi
fi
