#!/bin/bash
# Memory of one `petrel serve` (SQLite store, default limits) as the README
# "Memory" section states it (issue 21), each leg on a fresh process:
#
#   bench/memory.sh [IDLE_CONNS] [BIG_N] [BIG_SIZE]    defaults: 10000 20 49900000
#
# 1. at rest: RSS 5 s and 30 s after the health check answered, and after
#    every account logged in once (argon2id: 19 MiB per verification, as
#    many at once as there are CPUs);
# 2. IDLE_CONNS authenticated IMAP connections (users bench1..bench40, INBOX
#    selected, in IDLE, from 100 source addresses) without COMPRESS, then
#    (fresh process) with COMPRESS DEFLATE: RSS 10 s after the last login
#    and after a new message woke every connection (bench/imapbench idle);
# 3. BIG_N messages of BIG_SIZE octets in flight at once (just under the
#    default 50 MB limit), one per account bench1..benchN: SMTP DATA and
#    BDAT on the MX listener (SPF/DKIM/DMARC checked against a loopback DNS
#    server), DATA and BDAT on submission (AUTH PLAIN), IMAP APPEND (a
#    synchronizing literal), IMAP FETCH BODY.PEEK[] of the APPENDed ones,
#    POP3 RETR of them (bench/memload), after every account logged in
#    once: RSS before, at the peak (sampled every 20 ms; anonymous and
#    file-backed pages apart) and 5 s after;
# 4. at rest again, on a fresh process over the store of leg 3.
#
# Ports (PORT_BASE, default 14500): SMTP +25, submission +87, IMAP +43,
# POP3 +10, HTTP +80, DNS +53. Everything runs on loopback and stops by
# itself; the script stops only what it started. SKIP_IDLE=1 or SKIP_BIG=1
# skip a leg. Run it under `nice -n 19` on a shared machine and note the
# load (`uptime`) it prints beside the figures.
set -euo pipefail

IDLE_CONNS=${1:-10000}; BIG_N=${2:-20}; BIG_SIZE=${3:-49900000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-memory}
PORT_BASE=${PORT_BASE:-14500}
SMTP_PORT=$((PORT_BASE + 25)) SUB_PORT=$((PORT_BASE + 87)) IMAP_PORT=$((PORT_BASE + 43))
POP3_PORT=$((PORT_BASE + 10)) HTTP_PORT=$((PORT_BASE + 80)) DNS_ADDR=127.0.0.1:$((PORT_BASE + 53))
USERS=40

PROG=bench/memory.sh
. "$ROOT/bench/lib/common.sh"
for port in $SMTP_PORT $SUB_PORT $IMAP_PORT $POP3_PORT $HTTP_PORT $((PORT_BASE + 53)); do
	busy 127.0.0.1 "$port" && die "port $port is already in use"
done
[ "$BIG_N" -le "$USERS" ] || die "BIG_N: at most $USERS"
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((IDLE_CONNS + 200)) ] || die "ulimit -n $(ulimit -n) is too low for $IDLE_CONNS connections"

rm -rf "$STATE"; mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/imapbench" ./bench/imapbench &&
	go build -o "$STATE/memload" ./bench/memload && go build -o "$STATE/mxdns" ./bench/outbound/mxdns)
cat >"$STATE/petrel.toml" <<TOML
hostname = "bench.test"
data_dir = "$STATE/data"
[listen]
smtp = ["127.0.0.1:$SMTP_PORT"]
submission = ["127.0.0.1:$SUB_PORT"]
submissions = []
imap = ["127.0.0.1:$IMAP_PORT"]
imaps = []
pop3 = ["127.0.0.1:$POP3_PORT"]
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
[tls]
allow_insecure_auth = true
[imap]
max_connections = $((IDLE_CONNS + 1000))
max_connections_per_ip = 1000
[limits]
max_connections_per_ip = 1000
[dns]
servers = ["$DNS_ADDR"]
[log]
level = "warn"
TOML
P() { "$STATE/petrel" --config "$STATE/petrel.toml" "$@"; }
P domain add bench.test >/dev/null
for u in $(seq 1 $USERS); do echo pass | P user add "bench$u@bench.test" --password-stdin >/dev/null; done

"$STATE/mxdns" -listen "$DNS_ADDR" -domains 1 -sender source.test >"$STATE/mxdns.log" 2>&1 &
DNS_PID=$!
PID=""
start_petrel() {
	"$STATE/petrel" --config "$STATE/petrel.toml" serve 2>>"$STATE/petrel.log" &
	PID=$!
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && return 0; sleep 0.1; done
	die "petrel did not start; see $STATE/petrel.log"
}
stop_petrel() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
}
cleanup() {
	stop_petrel
	kill "$DNS_PID" 2>/dev/null || true
}
trap cleanup EXIT

# rss prints the process's RSS, anonymous and file-backed, in MiB.
rss() {
	awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{printf "RSS %.1f MiB (anonymous %.1f, file %.1f)", r/1024, a/1024, f/1024}' "/proc/$PID/status"
}
# logins logs every account in once over IMAP, two at a time: at most
# as many argon2id verifications run together as there are CPUs, 19 MiB
# each; then the login cache answers for 15 minutes.
logins() {
	seq 1 $USERS | xargs -P 2 -I{} "$STATE/imapbench" count -addr "127.0.0.1:$IMAP_PORT" -user "bench{}@bench.test" >/dev/null
}
at_rest() {
	start_petrel
	sleep 5; echo "5 s after start: $(rss)"
	sleep 25; echo "30 s after start: $(rss)"
	logins; sleep 5; echo "5 s after every account logged in once (argon2id): $(rss)"
	stop_petrel
}

echo "== machine: $(uptime)"
echo "== at rest (fresh process, $USERS accounts, empty store)"
at_rest

if [ "${SKIP_IDLE:-0}" != 1 ]; then
	for mode in plain compress; do
		echo "== $IDLE_CONNS IDLE connections, $mode (fresh process; load: $(uptime | sed 's/.*load average: //'))"
		start_petrel
		sleep 2
		"$STATE/imapbench" idle -addr "127.0.0.1:$IMAP_PORT" -n "$IDLE_CONNS" -user-fmt 'bench%d@bench.test' \
			-users $USERS -src-first 127.0.0.2 -src-count 100 -pid "$PID" -settle 10s \
			$([ $mode = compress ] && echo -compress)
		stop_petrel
	done
fi

if [ "${SKIP_BIG:-0}" != 1 ]; then
	echo "== $BIG_N concurrent messages of $BIG_SIZE octets (fresh process)"
	start_petrel
	logins # the argon2id heap is paid here, not by the first leg that logs in
	sleep 5
	for mode in smtp smtp-bdat submission bdat append fetch retr; do
		case $mode in
		smtp | smtp-bdat) port=$SMTP_PORT ;;
		submission | bdat) port=$SUB_PORT ;;
		append | fetch) port=$IMAP_PORT ;;
		retr) port=$POP3_PORT ;;
		esac
		echo "-- $mode (load: $(uptime | sed 's/.*load average: //'))"
		"$STATE/memload" $mode -addr "127.0.0.1:$port" -n "$BIG_N" -size "$BIG_SIZE" -pid "$PID"
	done
	stop_petrel
	echo "== at rest over that store ($(du -sh "$STATE/data" | cut -f1))"
	at_rest
fi
echo "== machine: $(uptime)"
