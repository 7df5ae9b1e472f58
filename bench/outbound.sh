#!/bin/bash
# Outbound throughput: Petrel's durable queue and SMTP client side by side with
# Postfix relaying the same load to the same sinks, in one run.
#
#   bench/outbound.sh [N] [SESSIONS] [SIZE]     defaults: 10000 20 4096
#
# Ten remote domains d1.test..d10.test, each with its own MX on loopback:
# smtp-sink (Postfix's do-nothing server) on 127.0.0.11..127.0.0.20, port
# $SINK_PORT. Petrel finds them through DNS (dns.servers = a tiny DNS server,
# bench/outbound/mxdns, answering MX and A) with delivery.remote_port =
# $SINK_PORT; Postfix, which only uses the system resolver, gets the same
# hosts from transport_maps (d$i.test -> smtp:[127.0.0.1$i]:$SINK_PORT).
# The load (bench/outbound/load) submits N messages of SIZE octets over
# SESSIONS parallel sessions, recipients round robin over the ten domains:
# to Petrel's submission port with AUTH PLAIN (tls.allow_insecure_auth on
# loopback), to Postfix's port 25 equivalent without AUTH (mynetworks).
# The time is from the first submission to the last remote 250: for Petrel
# until petrel_queue_deliveries_total reaches N, for Postfix until its queue
# is empty (polled every 0.1 s). Both queues are durable (fsync before the
# 250 to the submitter). Everything is on 127.0.0.x, bounded by TIMEOUT
# seconds per leg, and stops what it started. SKIP_POSTFIX=1 runs Petrel only.
set -euo pipefail

N=${1:-10000}; SESS=${2:-20}; SIZE=${3:-4096}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-outbench}
SINK_PORT=${SINK_PORT:-12526}
DNS_ADDR=${DNS_ADDR:-127.0.0.1:12553}
SUB_PORT=${SUB_PORT:-12587}
HTTP_PORT=${HTTP_PORT:-12081}
PF_PORT=${PF_PORT:-12625}
TIMEOUT=${TIMEOUT:-600}
DOMAINS=10

PROG=bench/outbound.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/postfix.sh"
command -v smtp-sink >/dev/null || die "smtp-sink missing (Debian package postfix)"
[ "$N" -ge 1 ] && [ "$N" -le 100000 ] || die "N must be 1..100000"
[ "$SESS" -ge 1 ] && [ "$SESS" -le 200 ] || die "SESSIONS must be 1..200"

PIDS=()
PF_STARTED=0
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ $PF_STARTED = 1 ]; then postfix_stop "$STATE/postfix"; fi
}
trap cleanup EXIT

rm -rf "$STATE"; mkdir -p "$STATE/bin"
(cd "$ROOT" && go build -o "$STATE/bin/petrel" ./cmd/petrel && go build -o "$STATE/bin/" ./bench/outbound/mxdns ./bench/outbound/load)

# The sinks: one smtp-sink per MX address.
for i in $(seq 1 $DOMAINS); do
	ip=127.0.0.$((10 + i))
	busy "$ip" "$SINK_PORT" && die "$ip:$SINK_PORT is already in use"
	if [ "$(id -u)" = 0 ]; then smtp-sink -4 -u nobody "$ip:$SINK_PORT" 1024 &
	else smtp-sink -4 "$ip:$SINK_PORT" 1024 & fi
	PIDS+=($!)
done
"$STATE/bin/mxdns" -listen "$DNS_ADDR" -domains $DOMAINS -ipbase 10 &
PIDS+=($!)
for i in $(seq 1 50); do busy 127.0.0.20 "$SINK_PORT" && busy "${DNS_ADDR%:*}" "${DNS_ADDR#*:}" && break; sleep 0.1; done

# --- Petrel
cat >"$STATE/petrel.toml" <<TOML
hostname = "mta.bench.test"
data_dir = "$STATE/data"
[listen]
smtp = []
submission = ["127.0.0.1:$SUB_PORT"]
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
[tls]
allow_insecure_auth = true
[smtp]
max_connections_per_ip = 1000
[limits]
max_connections_per_ip = 1000
[dns]
servers = ["$DNS_ADDR"]
[delivery]
remote_port = $SINK_PORT
[log]
level = "${PETREL_LOG_LEVEL:-info}"
TOML
P() { "$STATE/bin/petrel" --config "$STATE/petrel.toml" "$@"; }
P domain add bench.test >/dev/null
echo pass | P user add bench1@bench.test --password-stdin >/dev/null
for port in "$SUB_PORT" "$HTTP_PORT"; do busy 127.0.0.1 "$port" && die "port $port is already in use"; done
"$STATE/bin/petrel" --config "$STATE/petrel.toml" serve >"$STATE/petrel.log" 2>&1 &
PETREL=$!
PIDS+=($PETREL)
up=0
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
[ $up = 1 ] || die "petrel did not start; see $STATE/petrel.log"
delivered() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "petrel_queue_deliveries_total" {printf "%d", $2; f=1} END{if (!f) print 0}'; }

echo "== Petrel: $N msgs x ${SIZE}B, $SESS submission sessions, $DOMAINS domains over DNS MX -> smtp-sink"
t0=$(now)
"$STATE/bin/load" -addr "127.0.0.1:$SUB_PORT" -n "$N" -s "$SESS" -size "$SIZE" -domains $DOMAINS -user bench1@bench.test -pass pass
t1=$(now)
deadline=$(( $(date +%s) + TIMEOUT ))
while c=$(delivered || echo 0); [ "$c" -lt "$N" ]; do
	[ "$(date +%s)" -ge "$deadline" ] && { echo "TIMEOUT: $c/$N delivered" >&2; break; }
	sleep 0.1
done
t2=$(now)
el=$(fsub "$t2" "$t0")
petrel_rate=$(rate "$c" "$el")
failed=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 ~ /^petrel_queue_attempts_total/ && $1 !~ /"delivered"/ {n += $2} END{printf "%d", n}')
echo "petrel: $c delivered in ${el}s = $petrel_rate msgs/s (submission $(fsub "$t1" "$t0")s, drain after it $(fsub "$t2" "$t1")s; other attempt outcomes: $failed)"
kill -TERM $PETREL; wait $PETREL 2>/dev/null || true
echo "queue after the run: $(P queue list | grep -c . || true) lines"
[ "${SKIP_POSTFIX:-0}" = 1 ] && exit 0

# --- Postfix: a private instance relaying d1..d10.test to the same sinks
D=$STATE/postfix
postfix_prepare "$D"
: >"$D/etc/transport"
relay=""
for i in $(seq 1 $DOMAINS); do
	echo "d$i.test smtp:[127.0.0.$((10 + i))]:$SINK_PORT" >>"$D/etc/transport"
	relay="$relay${relay:+, }d$i.test"
done
# Defaults kept (bench/lib/postfix.sh): in_flow_delay = 1s,
# default_process_limit = 100, default_destination_concurrency_limit = 20,
# smtp_connection_cache_on_demand = yes.
{
	postfix_main_cf "$D" postfix-outbench
	echo "relay_domains = $relay"
	echo "transport_maps = texthash:$D/etc/transport"
	echo "default_transport = error:bench instance relays only to d1..d10.test"
} >"$D/etc/main.cf"
postfix_master_cf "127.0.0.1:$PF_PORT" >"$D/etc/master.cf"
PF_STARTED=1
postfix_start "$D" 127.0.0.1 "$PF_PORT"
echo "== Postfix: the same load, relayed by transport_maps to the same smtp-sinks"
t0=$(now)
"$STATE/bin/load" -addr "127.0.0.1:$PF_PORT" -n "$N" -s "$SESS" -size "$SIZE" -domains $DOMAINS
t1=$(now)
deadline=$(( $(date +%s) + TIMEOUT ))
while q=$(postfix_queued "$D"); [ "$q" -gt 0 ]; do
	[ "$(date +%s)" -ge "$deadline" ] && { echo "TIMEOUT: $q still queued" >&2; break; }
	sleep 0.1
done
t2=$(now)
el=$(fsub "$t2" "$t0")
sent=$(grep -c 'status=sent' "$D/log/postfix.log" || true)
pf_rate=$(rate "$N" "$el")
echo "postfix: queue empty after ${el}s = $pf_rate msgs/s (submission $(fsub "$t1" "$t0")s, drain after it $(fsub "$t2" "$t1")s; status=sent lines: $sent)"
awk -v p="$petrel_rate" -v f="$pf_rate" 'BEGIN{printf "Petrel / Postfix outbound: %.2fx\n", p/f}'
