#!/bin/bash
# POP3 download-and-delete: Petrel side by side with Dovecot's POP3, in one
# run, with the same client (Python's poplib, bench/pop3.py) and the same
# messages (delivered to both over LMTP first).
#
#   bench/pop3.sh [N] [SIZE] [RUNS]     defaults: 10000 4096 1
#
# Each run fills an INBOX in Petrel and in Dovecot with N messages of SIZE
# octets, then times one POP3 session per server that RETRs and DELEs every
# message and QUITs (the deletion is in the time), and checks that both
# INBOXes are empty afterwards. Everything runs on 127.0.0.1 and stops by
# itself. Needs dovecot-pop3d and dovecot-lmtpd (Debian); Dovecot is the
# private instance of bench/lib/dovecot.sh (Maildir). STORE=postgres runs
# Petrel on a fresh PostgreSQL database (bench/lib/store.sh), dropped at
# the end.
set -euo pipefail

N=${1:-10000}; SIZE=${2:-4096}; RUNS=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-pop3}
POP3_PORT=${POP3_PORT:-12110}
LMTP_PORT=${LMTP_PORT:-12024}
HTTP_PORT=${HTTP_PORT:-12081}
# Dovecot's user (one of bench/lib/dovecot.sh's); not bench1, which the
# SMTP and IMAP benchmarks fill and wipe.
DOVECOT_USER=${DOVECOT_USER:-testuser}

PROG=bench/pop3.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/dovecot.sh"
PROG_TAG=pop3
. "$ROOT/bench/lib/store.sh"
case $STORE in sqlite | postgres) ;; *) die "STORE: one backend at a time here" ;; esac
command -v python3 >/dev/null || die "python3 missing"

rm -rf "$STATE"; mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel)
DSN=""
if [ "$STORE" = postgres ]; then pg_create pop3; DSN=$PG_LEG_DSN; fi
cat >"$STATE/petrel.toml" <<TOML
hostname = "bench.test"
data_dir = "$STATE/data"
[listen]
smtp = []
submission = []
submissions = []
imap = []
imaps = []
pop3 = ["127.0.0.1:$POP3_PORT"]
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
lmtp = ["127.0.0.1:$LMTP_PORT"]
[tls]
allow_insecure_auth = true
[log]
level = "warn"
$(storage_toml "$STORE" "$DSN")
TOML
P() { "$STATE/petrel" --config "$STATE/petrel.toml" "$@"; }
P domain add bench.test
echo pass | P user add bench1@bench.test --password-stdin >/dev/null

"$STATE/petrel" --config "$STATE/petrel.toml" serve 2>"$STATE/petrel.log" &
PID=$!
cleanup() {
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	if [ "$DOVECOT_STARTED" = 1 ]; then dovecot_stop; fi
	pg_drop_all
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
dovecot_start

B="python3 $ROOT/bench/pop3.py"
for run in $(seq 1 "$RUNS"); do
	echo "== run $run: $N messages of $SIZE octets"
	dovecot_wipe "$DOVECOT_USER"
	$B fill "$DOVECOT_LMTP" "$DOVECOT_USER@bench.test" "$N" "$SIZE" | sed 's/^/Dovecot /'
	$B fill "$LMTP_PORT" bench1@bench.test "$N" "$SIZE" | sed 's/^/Petrel  /'
	dov=$($B fetch "$DOVECOT_POP3" "$DOVECOT_USER" pass "$N"); echo "Dovecot POP3: $dov"
	pet=$($B fetch "$POP3_PORT" bench1@bench.test pass "$N"); echo "Petrel  POP3: $pet"
	left_dov=$(dovecot_count "$DOVECOT_USER")
	left_pet=$(P user quota bench1@bench.test | awk '$1 == "messages" {print $2}')
	echo "left in the INBOX: Dovecot $left_dov, Petrel $left_pet"
	[ "$left_dov" = 0 ] && [ "$left_pet" = 0 ] || echo "WARNING: messages left after QUIT" >&2
	awk -v p="$(echo "$pet" | rate_of)" -v d="$(echo "$dov" | rate_of)" 'BEGIN{printf "Petrel / Dovecot: %.2fx\n", p/d}'
done
