#!/bin/bash
# IDLE fan-out: CONNS IMAP sessions of one user, INBOX selected, in IDLE,
# spread evenly over the Petrel nodes of one store; one message delivered
# over SMTP to the first node; the time until the last session has its
# EXISTS (from the start of the SMTP connection, and from the 250 to DATA).
# Side by side in one run: Petrel on PostgreSQL with NODES nodes each
# (NODES="1 2": a leg each; two nodes means the change crosses from node
# A to node B through the database), Petrel on SQLite (one node), and
# Dovecot (bench/lib/dovecot.sh, Maildir, delivery over LMTP, at most
# DOVECOT_CONNS sessions: its private instance runs 1,000 processes).
#
#   bench/idlefanout.sh [CONNS] [RUNS]     defaults: 1000 3
#
# Each run opens the sessions afresh (the nodes stay up) and delivers one
# message. STORE (bench/lib/store.sh; default "postgres sqlite") picks the
# Petrel legs, PG_DSN the PostgreSQL server (a new database per leg,
# dropped at the end). Node k listens on IMAP_PORT+k-1, SMTP_PORT+k-1 and
# HTTP_PORT+k-1. Everything runs on loopback addresses and stops by itself;
# the script stops only what it started. Needs dovecot-imapd and
# dovecot-lmtpd (Debian) unless DOVECOT_CONNS=0.
set -euo pipefail

CONNS=${1:-1000}; RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-fanout}
IMAP_PORT=${IMAP_PORT:-12150}
SMTP_PORT=${SMTP_PORT:-12530}
HTTP_PORT=${HTTP_PORT:-12090}
STORE=${STORE:-postgres sqlite}
NODES=${NODES:-1 2}
DOVECOT_CONNS=${DOVECOT_CONNS:-$((CONNS < 900 ? CONNS : 900))}
SRCS=10 # source addresses 127.0.0.2..127.0.0.11

PROG=bench/idlefanout.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/dovecot.sh"
PROG_TAG=fanout
. "$ROOT/bench/lib/store.sh"
MAX_NODES=$(max_nodes "$NODES")
for ((k = 0; k < MAX_NODES; k++)); do
	for port in $((IMAP_PORT + k)) $((SMTP_PORT + k)) $((HTTP_PORT + k)); do
		busy 127.0.0.1 "$port" && die "port $port is already in use"
	done
done
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((2 * CONNS + 200)) ] || die "ulimit -n $(ulimit -n) is too low for $CONNS connections"

rm -rf "$STATE"; mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/imapbench" ./bench/imapbench)
B=$STATE/imapbench

# petrel_toml K DATA_DIR BACKEND DSN prints node K's configuration.
petrel_toml() {
	cat <<TOML
hostname = "bench.test"
data_dir = "$2"
[listen]
smtp = ["127.0.0.1:$((SMTP_PORT + $1 - 1))"]
submission = []
submissions = []
imap = ["127.0.0.1:$((IMAP_PORT + $1 - 1))"]
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$((HTTP_PORT + $1 - 1))"]
[tls]
allow_insecure_auth = true
[smtp]
verify_senders = false
[imap]
max_connections = $((CONNS + 1000))
max_connections_per_ip = $((CONNS + 1000))
[limits]
max_connections_per_ip = $((CONNS + 1000))
[log]
level = "warn"
TOML
	storage_toml "$3" "$4"
}

PIDS=()
stop_nodes() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
cleanup() {
	stop_nodes
	if [ "$DOVECOT_STARTED" = 1 ]; then dovecot_stop; fi
	pg_drop_all
}
trap cleanup EXIT

# petrel_leg BACKEND NODES: a fresh store, NODES nodes on it, RUNS runs.
petrel_leg() {
	local backend=$1 nodes=$2 leg dir dsn="" k up addrs="" pids="" run
	leg=$backend; [ "$nodes" -gt 1 ] && leg="$backend-${nodes}nodes"
	dir=$STATE/$leg; mkdir -p "$dir"
	if [ "$backend" = postgres ]; then pg_create "${leg//-/_}"; dsn=$PG_LEG_DSN; fi
	for ((k = 1; k <= nodes; k++)); do petrel_toml "$k" "$dir/data$k" "$backend" "$dsn" >"$dir/node$k.toml"; done
	"$STATE/petrel" --config "$dir/node1.toml" domain add bench.test >/dev/null
	echo pass | "$STATE/petrel" --config "$dir/node1.toml" user add bench1@bench.test --password-stdin >/dev/null
	for ((k = 1; k <= nodes; k++)); do
		"$STATE/petrel" --config "$dir/node$k.toml" serve >"$dir/node$k.log" 2>&1 &
		PIDS+=($!)
		addrs+="${addrs:+,}127.0.0.1:$((IMAP_PORT + k - 1))" pids+="${pids:+,}$!"
	done
	for ((k = 1; k <= nodes; k++)); do
		up=0
		for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((HTTP_PORT + k - 1))/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
		[ $up = 1 ] || die "petrel node $k did not start; see $dir/node$k.log"
	done
	for ((run = 1; run <= RUNS; run++)); do
		echo "-- run $run"
		$B idle -addr "$addrs" -n "$CONNS" -user-fmt 'bench%d@bench.test' -users 1 \
			-src-first 127.0.0.2 -src-count $SRCS -pid "$pids" -settle 2s -wake-smtp "127.0.0.1:$SMTP_PORT"
	done
	stop_nodes
}

for backend in $STORE; do
	if [ "$backend" = postgres ]; then ns=$NODES; else ns=1; fi
	for n in $ns; do
		echo "== Petrel ($backend, $n node(s)): $CONNS IDLE sessions of bench1, one delivery over SMTP to node 1"
		petrel_leg "$backend" "$n"
	done
done
if [ "$DOVECOT_CONNS" -gt 0 ]; then
	echo "== Dovecot: $DOVECOT_CONNS IDLE sessions of bench1, one delivery over LMTP"
	# Each IDLE process wants an inotify instance; past the kernel's
	# per-user limit Dovecot polls (mailbox_idle_check_interval, 30 s).
	lim=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0)
	[ "$DOVECOT_CONNS" -lt "$lim" ] ||
		echo "note: fs.inotify.max_user_instances is $lim: beyond it Dovecot's IDLE polls every 30 s"
	dovecot_start
	dovecot_wipe bench1
	for ((run = 1; run <= RUNS; run++)); do
		echo "-- run $run"
		$B idle -addr "127.0.0.1:$DOVECOT_IMAP" -n "$DOVECOT_CONNS" -user-fmt 'bench%d' -users 1 \
			-rcpt-fmt 'bench%d@bench.test' -src-first 127.0.0.2 -src-count $SRCS -pid "$(dovecot_pid)" \
			-settle 2s -wake-lmtp "127.0.0.1:$DOVECOT_LMTP"
	done
fi
