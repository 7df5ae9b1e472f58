#!/bin/bash
# `petrel import` of one large folder: peak RSS, Go heap and the RSS
# curve, Maildir (with dovecot-uidlist: UIDs kept) and mbox, for each
# size; then, in the same run, the same messages into Petrel by IMAP
# APPEND (bench/imapbench append): one connection, several, and several
# with MULTIAPPEND (RFC 3502). docs/benchmarks.md "Import and export
# (issue 20)".
#
#   bench/importbench.sh [SIZES] [APPEND_N]     defaults: "200000 1000000" 200000
#
# Messages: bench/importgen (about 1 KiB, a third of them replies), the
# same N as an mbox and as a Maildir INBOX with dovecot-uidlist, kept in
# $STATE (delete it to regenerate). Every import goes into a fresh SQLite
# data directory with the server stopped (so the Maildir's UIDs are kept).
# Rates are of the import's own time (its summary line: the store is open).
# Memory: peak RSS (/usr/bin/time -v), the largest Go heap of any GC
# cycle (GODEBUG=gctrace=1) and the RSS sampled every 2 s, printed as
# the largest of each quarter of the run: a flat curve has equal
# quarters. CPU: user + system seconds of the import (less disturbed by
# other load than the wall time). The APPEND legs serve IMAP on
# 127.0.0.1:IMAP_PORT (default 14001) and HTTP_PORT (14002), each into a
# fresh data directory, with CONNS connections (default 4) and MULTI
# messages per MULTIAPPEND (default 50); the server's CPU is read from
# /proc. Everything runs under nice -n 19 and stops by itself; the script
# stops only what it started. PETREL_BIN=FILE measures that binary (an
# earlier build, for a before/after) instead of building this tree's;
# LEGS="maildir mbox" (the default) chooses the import legs.
set -euo pipefail

SIZES=${1:-"200000 1000000"}
APPEND_N=${2:-200000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench-import}
IMAP_PORT=${IMAP_PORT:-14001}
HTTP_PORT=${HTTP_PORT:-14002}
CONNS=${CONNS:-4}
MULTI=${MULTI:-50}
PROG=bench/importbench.sh
. "$ROOT/bench/lib/common.sh"
command -v /usr/bin/time >/dev/null || die "/usr/bin/time missing (Debian time)"

mkdir -p "$STATE"
(cd "$ROOT" && go build -o "$STATE/imapbench" ./bench/imapbench && go build -o "$STATE/importgen" ./bench/importgen)
if [ -n "${PETREL_BIN:-}" ]; then cp "$PETREL_BIN" "$STATE/petrel"; else (cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel); fi
CONF=$STATE/petrel.toml DATA=$STATE/data
cat >"$CONF" <<TOML
hostname = "bench.test"
data_dir = "$DATA"
[listen]
smtp = []
submission = []
submissions = []
imap = ["127.0.0.1:$IMAP_PORT"]
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$HTTP_PORT"]
[tls]
allow_insecure_auth = true
[log]
level = "warn"
TOML
P() { nice -n 19 "$STATE/petrel" --config "$CONF" "$@"; }
SERVE_PID=
cleanup() {
	if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
	rm -rf "$DATA"
}
trap cleanup EXIT

fresh() {
	rm -rf "$DATA"
	P domain add example.org >/dev/null
	echo pass | P user add a@example.org --password-stdin >/dev/null
}

# cpu PID prints the process's user + system seconds so far.
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }

# measure LABEL N ARGS...: runs `petrel import ARGS` and prints its figures.
measure() {
	local label=$1 n=$2 log=$STATE/import-$1.log samples=$STATE/rss-$1.txt tpid pid t0 t1 rc
	shift 2
	fresh
	t0=$(now)
	GODEBUG=gctrace=1 nice -n 19 /usr/bin/time -v "$STATE/petrel" --config "$CONF" import a@example.org "$@" \
		>"$log.out" 2>"$log" &
	tpid=$!
	pid=
	: >"$samples"
	while kill -0 "$tpid" 2>/dev/null; do
		[ -n "$pid" ] || pid=$(pgrep -P "$tpid" || true)
		if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
			awk -v t="$(fsub "$(now)" "$t0")" '/^VmRSS/{print t, $2}' "/proc/$pid/status" >>"$samples" 2>/dev/null || true
		fi
		sleep 2
	done
	rc=0; wait "$tpid" || rc=$?
	t1=$(now)
	[ "$rc" = 0 ] || { cat "$log.out"; tail -5 "$log"; die "$label: import failed ($rc)"; }
	local wall rss heap cpus curve
	# The import's own time (its summary line), without opening the store.
	wall=$(sed -n 's/^imported .* in \([0-9hms.]*\)$/\1/p' "$log.out" | awk '{s = 0; d = $0
		while (match(d, /^[0-9.]+(h|ms|m|s)/)) {v = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
			if (v ~ /ms$/) s += v / 1000; else if (v ~ /h$/) s += v * 3600; else if (v ~ /m$/) s += v * 60; else s += v + 0}
		printf "%.1f", s}')
	[ -n "$wall" ] || wall=$(fsub "$t1" "$t0")
	rss=$(awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$log")
	cpus=$(awk -F': ' '/User time|System time/{s += $2} END{printf "%.0f", s}' "$log")
	heap=$(grep -o '[0-9]*->[0-9]*->[0-9]* MB' "$log" | awk -F'->| ' '{for (i = 1; i <= 2; i++) if ($i > m) m = $i} END{print m + 0}')
	curve=$(awk '{t[NR] = $1; r[NR] = $2} END{if (NR == 0) {print "-"; exit}
		for (q = 1; q <= 4; q++) {m = 0; for (i = 1; i <= NR; i++) if (t[i] > (q - 1) * t[NR] / 4 && t[i] <= q * t[NR] / 4 + 0.001 && r[i] > m) m = r[i]
		printf "%s%.0f", (q > 1 ? " / " : ""), m / 1024}}' "$samples")
	printf '%-16s %8d msgs %8.1f s %7.0f msgs/s  CPU %4d s  peak RSS %4d MiB  Go heap max %3d MB  RSS by quarter (MiB) %s\n' \
		"$label" "$n" "$wall" "$(rate "$n" "$wall")" "$cpus" "$rss" "$heap" "$curve"
	grep -o 'imported [0-9]* messages.*' "$log.out" | sed 's/^/    /'
}

# appendleg LABEL N ARGS...: serves a fresh data directory and APPENDs.
appendleg() {
	local label=$1 n=$2 c0 out
	shift 2
	fresh
	for port in "$IMAP_PORT" "$HTTP_PORT"; do busy 127.0.0.1 "$port" && die "port $port is already in use"; done
	nice -n 19 "$STATE/petrel" --config "$CONF" serve 2>>"$STATE/serve.log" &
	SERVE_PID=$!
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
	c0=$(cpu "$SERVE_PID")
	out=$(nice -n 19 "$STATE/imapbench" append -addr "127.0.0.1:$IMAP_PORT" -user a@example.org -pass pass \
		-mbox "$STATE/gen-$n.mbox" -n "$n" "$@")
	printf '%-16s %s  server CPU %.0f s\n' "$label" "$out" "$(awk -v a="$(cpu "$SERVE_PID")" -v b="$c0" 'BEGIN{print a - b}')"
	[ "$(nice -n 19 "$STATE/imapbench" count -addr "127.0.0.1:$IMAP_PORT" -user a@example.org)" = "$n" ] ||
		die "$label: the INBOX does not hold $n messages"
	kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=
}

gen() {
	local n=$1
	if [ ! -s "$STATE/gen-$n.mbox" ] || [ ! -s "$STATE/gen-$n.maildir/dovecot-uidlist" ]; then
		rm -rf "$STATE/gen-$n.mbox" "$STATE/gen-$n.maildir"
		echo "== generating $n messages"
		nice -n 19 "$STATE/importgen" -n "$n" -mbox "$STATE/gen-$n.mbox" -maildir "$STATE/gen-$n.maildir"
	fi
}

echo "== $(date -u '+%F %T') UTC, load: $(uptime | sed 's/.*load average: //')"
for n in $SIZES; do
	gen "$n"
	echo "== $n messages in one folder ($(du -sh "$STATE/gen-$n.mbox" | cut -f1) mbox)"
	for leg in ${LEGS:-maildir mbox}; do
		measure "$leg-$n" "$n" "$STATE/gen-$n.$leg"
		echo "   load: $(uptime | sed 's/.*load average: //')"
	done
done
if [ "$APPEND_N" -gt 0 ]; then
	gen "$APPEND_N"
	echo "== $APPEND_N messages by IMAP APPEND (the server's own figures; compare the import lines above)"
	appendleg "append-1" "$APPEND_N" -conns 1 -window 64
	appendleg "append-$CONNS" "$APPEND_N" -conns "$CONNS" -window 16
	appendleg "multiappend-$CONNS" "$APPEND_N" -conns "$CONNS" -multi "$MULTI" -window 4
	echo "   load: $(uptime | sed 's/.*load average: //')"
fi
