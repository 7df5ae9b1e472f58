#!/bin/bash
# The SMTP attacks of issue 11 against petrel serve on loopback, with the
# server's side of each: log lines written, RSS. Everything stops by itself.
#
#   bench/smtpattack.sh [harvest|slow|burst|all]    default: all
#
# SLOW_INTERVAL (5s) and SLOW_FOR (900s) set the slow DATA client: one octet
# per SLOW_INTERVAL, given up after SLOW_FOR. SMTP_TOML adds lines to the
# [smtp] section (e.g. 'data_timeout = "30s"' for a short run).
set -euo pipefail

WHAT=${1:-all}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-smtpattack}
SMTP_PORT=${SMTP_PORT:-13525}
HTTP_PORT=${HTTP_PORT:-13080}

rm -rf "$STATE"; mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel && go build -o "$STATE/smtpattack" ./bench/smtpattack)
cat >"$STATE/petrel.toml" <<TOML
hostname = "mx.example.test"
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
verify_senders = false
${SMTP_TOML:-}
[log]
level = "info"
TOML
P() { "$STATE/petrel" --config "$STATE/petrel.toml" "$@"; }
P domain add example.test
echo pass | P user add rcpt@example.test --password-stdin >/dev/null

PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null || true' EXIT
# serve starts a fresh server (its memory of clients is empty).
serve() {
	if [ -n "$PID" ]; then kill -TERM $PID; wait $PID || true; fi
	"$STATE/petrel" --config "$STATE/petrel.toml" serve >>"$STATE/petrel.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && return; sleep 0.1; done
	echo "petrel did not start; see $STATE/petrel.log" >&2; exit 1
}
touch "$STATE/petrel.log"
A() { "$STATE/smtpattack" "$1" -addr "127.0.0.1:$SMTP_PORT" -domain example.test -rcpt rcpt@example.test "${@:2}"; }
lines() { wc -l <"$STATE/petrel.log"; }
logged() { # run an attack and count the log lines it made the server write
	local before after
	before=$(lines)
	"$@"
	sleep 1
	after=$(lines)
	echo "   server log: $((after - before)) lines, $(( $(tail -n +$((before + 1)) "$STATE/petrel.log" | wc -c) )) octets"
}

case $WHAT in harvest|all)
	echo "== harvest: 5,000 RCPTs on one connection"
	serve; logged A harvest -n 5000 -reconnect=false -for 120s
	echo "== harvest: 100,000 RCPTs on one connection"
	serve; logged A harvest -n 100000 -reconnect=false -for 120s
	echo "== harvest: 100,000 RCPTs, reconnecting, for at most 60 s"
	serve; logged A harvest -n 100000 -for 60s
esac
case $WHAT in slow|all)
	echo "== slow DATA: one octet every ${SLOW_INTERVAL:-5s}"
	serve; logged A slow -interval "${SLOW_INTERVAL:-5s}" -for "${SLOW_FOR:-900s}"
esac
case $WHAT in burst|all)
	echo "== burst: 20 concurrent 49 MB messages"
	serve; logged A burst -c 20 -size 49000000 -pid $PID -after 30s
esac
