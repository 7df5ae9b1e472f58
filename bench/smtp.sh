#!/bin/bash
# Inbound SMTP throughput: Petrel side by side with Postfix -> Dovecot (LMTP) and
# with smtp-sink (a server that does nothing), in one run, with the same load
# generator (Postfix's smtp-source, through ../shared/bench/smtpbench.sh).
#
#   bench/smtp.sh [N] [SESSIONS] [SIZE]     defaults: 20000 20 4096
#
# For Petrel a 250 after DATA means the message is durable in the mailbox, so
# its intake rate is its end-to-end rate; the script checks afterwards that all
# N messages are in the mailbox. Everything runs on 127.0.0.1 and stops by
# itself. Needs: postfix (smtp-source, smtp-sink), dovecot-imapd/-lmtpd for the
# Postfix+Dovecot leg (skipped when SKIP_POSTFIX=1). SHARED_BENCH points at
# the shared scripts (default ../shared/bench next to the checkout).
#
# Petrel checks SPF, DKIM and DMARC on this listener (smtp.verify_senders;
# VERIFY=false turns that off: Postfix and Dovecot check none by default).
# Its DNS is a loopback server (bench/outbound/mxdns) publishing SPF
# (127.0.0.0/8) and DMARC p=reject for source.test, smtp-source's sender
# and HELO domain, so every message passes SPF and DMARC.
set -euo pipefail

N=${1:-20000}; SESS=${2:-20}; SIZE=${3:-4096}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench}
SMTP_PORT=${SMTP_PORT:-12525}
HTTP_PORT=${HTTP_PORT:-12080}
DNS_ADDR=${DNS_ADDR:-127.0.0.1:12053}
VERIFY=${VERIFY:-true}

die() { echo "bench/smtp.sh: $*" >&2; exit 1; }
[ -x "$SHARED_BENCH/smtpbench.sh" ] || die "no $SHARED_BENCH/smtpbench.sh (set SHARED_BENCH)"
command -v smtp-source >/dev/null || die "smtp-source missing (Debian package postfix)"

rm -rf "$STATE"; mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/mxdns" ./bench/outbound/mxdns)
cat >"$STATE/petrel.toml" <<TOML
hostname = "bench.test"
data_dir = "$STATE/data"
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
verify_senders = $VERIFY
[limits]
max_connections_per_ip = 1000
[dns]
servers = ["$DNS_ADDR"]
[log]
level = "warn"
TOML
P() { "$STATE/petrel" --config "$STATE/petrel.toml" "$@"; }
P domain add bench.test
for i in $(seq 1 100); do echo pass | P user add "bench$i@bench.test" --password-stdin >/dev/null; done

for port in "$SMTP_PORT" "$HTTP_PORT"; do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is already in use"
done
"$STATE/mxdns" -listen "$DNS_ADDR" -domains 1 -sender source.test &
DNS_PID=$!
"$STATE/petrel" --config "$STATE/petrel.toml" serve >"$STATE/petrel.log" 2>&1 &
PID=$!
trap 'kill $PID $DNS_PID 2>/dev/null || true' EXIT
up=0
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
[ $up = 1 ] || die "petrel did not start; see $STATE/petrel.log"

echo "== Petrel"
petrel_out=$(RCPT=bench1@bench.test "$SHARED_BENCH/smtpbench.sh" intake "$SMTP_PORT" "$N" "$SESS" "$SIZE")
echo "$petrel_out"
kill -TERM $PID; wait $PID || true
stored=$(P user quota bench1@bench.test | awk '$1 == "messages" {print $2}')
echo "messages in bench1's mailboxes: $stored (sent $N)"
[ "$stored" = "$N" ] || echo "WARNING: not every message is in the mailbox" >&2

rate_of() { sed -n 's/.*= \([0-9.]*\) msgs\/s.*/\1/p' | tail -1; }
petrel_rate=$(echo "$petrel_out" | rate_of)
echo "== smtp-sink (the load generator's ceiling)"
sink_out=$("$SHARED_BENCH/smtpbench.sh" sink "$N" "$SESS" "$SIZE"); echo "$sink_out"
sink_rate=$(echo "$sink_out" | rate_of)
if [ "${SKIP_POSTFIX:-0}" != 1 ]; then
	echo "== Postfix -> Dovecot LMTP"
	"$SHARED_BENCH/postfix.sh" start >/dev/null
	pf_out=$("$SHARED_BENCH/postfix.sh" e2e "$N" "$SESS" "$SIZE"); echo "$pf_out"
	"$SHARED_BENCH/postfix.sh" stop >/dev/null || true
	pf_rate=$(echo "$pf_out" | grep e2e | rate_of)
	awk -v p="$petrel_rate" -v f="$pf_rate" 'BEGIN{printf "Petrel / Postfix+Dovecot end to end: %.1fx\n", p/f}'
fi
awk -v p="$petrel_rate" -v s="$sink_rate" 'BEGIN{printf "Petrel / smtp-sink: %.2f\n", p/s}'
