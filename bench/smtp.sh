#!/bin/bash
# Inbound SMTP throughput: Petrel side by side with Postfix -> Dovecot (LMTP) and
# with smtp-sink (a server that does nothing), in one run, with the same load
# generator (Postfix's smtp-source: bench/lib/postfix.sh).
#
#   bench/smtp.sh [N] [SESSIONS] [SIZE]     defaults: 20000 20 4096
#
# For Petrel a 250 after DATA means the message is durable in the mailbox, so
# its intake rate is its end-to-end rate; the script checks afterwards that all
# N messages are in the mailbox. Everything runs on 127.0.0.1 and stops by
# itself. Needs: postfix (smtp-source, smtp-sink), dovecot-imapd/-lmtpd for the
# Postfix+Dovecot leg (skipped when SKIP_POSTFIX=1): a private Postfix
# (bench/lib/postfix.sh, SMTP on 127.0.0.1:$PF_PORT) delivering bench.test
# over LMTP to a private Dovecot (bench/lib/dovecot.sh); its end is when all
# N messages are files in bench1's Maildir.
#
# Petrel checks SPF, DKIM and DMARC on this listener (smtp.verify_senders;
# VERIFY=false turns that off: Postfix and Dovecot check none by default).
# Its DNS is a loopback server (bench/outbound/mxdns) publishing SPF
# (127.0.0.0/8) and DMARC p=reject for source.test, smtp-source's sender
# and HELO domain, so every message passes SPF and DMARC.
#
# Petrel's backend: STORE="sqlite" (default), "postgres" or "sqlite
# postgres" (a leg each, same run; bench/lib/store.sh: a fresh database per
# leg, PG_DSN, dropped at the end). NODES="2" (or "1 2") runs the postgres
# leg with that many petrel serve processes on the one database, each
# with its own data_dir, SMTP_PORT+k-1 and HTTP_PORT+k-1, and the load
# split in equal parts sent to the nodes at the same time; the rate is N
# over the time until the last part is done, and the count of bench1's
# messages is read from the database by the CLI (petrel user quota).
# RCPTS=2 sends half of the load to bench1 and half to bench2 (with two
# nodes: each node its own mailbox; the Postfix leg still delivers to one).
# RSPAMD=1 adds a leg "sqlite+rspamd": the same with rspamd.url set, every
# message scanned by a private rspamd (bench/lib/rspamd.sh: its rules that
# need the network off; RSPAMD_WORKERS normal workers, default 1).
# SIEVE=1 adds a leg "sqlite+sieve": the same with bench/sieve50.sieve (50
# rules, none matching: every rule is evaluated) active for every account,
# and has the Postfix leg's Dovecot run the same script at every LMTP
# delivery (Pigeonhole, Debian dovecot-sieve).
# ANTISPAM=1 turns on Petrel's connection screening (README "Spam and
# abuse"): two DNS blocklists asked about every connection (mxdns answers
# NXDOMAIN without an SOA, so every connection asks again), the three
# per-address rates (limits not reached) and greylisting, from which
# smtp-source's mail is exempt by its SPF pass for source.test (needs
# VERIFY=true).
set -euo pipefail

N=${1:-20000}; SESS=${2:-20}; SIZE=${3:-4096}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PETREL_BENCH_STATE:-/tmp/petrel-bench}
SMTP_PORT=${SMTP_PORT:-12525}
HTTP_PORT=${HTTP_PORT:-12080}
DNS_ADDR=${DNS_ADDR:-127.0.0.1:12053}
VERIFY=${VERIFY:-true}
SINK_PORT=${SINK_PORT:-10026}
PF_PORT=${PF_PORT:-10025}
E2E_TIMEOUT=${E2E_TIMEOUT:-900}
# Petrel's backends (bench/lib/store.sh), and for postgres the numbers of
# petrel serve processes sharing one database (a leg each: NODES="1 2").
NODES=${NODES:-1}
# RCPTS=K splits the load between bench1..benchK (K streams, at least one
# per node; stream j to node (j-1)%NODES+1): RCPTS=2 with two nodes gives
# each node its own mailbox, with one node the same two streams.
RCPTS=${RCPTS:-1}

PROG=bench/smtp.sh
. "$ROOT/bench/lib/common.sh"
. "$ROOT/bench/lib/postfix.sh"
. "$ROOT/bench/lib/dovecot.sh"
PROG_TAG=smtp
. "$ROOT/bench/lib/store.sh"
. "$ROOT/bench/lib/rspamd.sh"
RSPAMD_PORT=${RSPAMD_PORT:-11433}
MAX_NODES=$(max_nodes "$NODES")
[[ $RCPTS =~ ^[1-9]$ ]] || die "RCPTS: want 1 to 9, got '$RCPTS'"
[ "$MAX_NODES" -gt 1 ] && [[ " $STORE " != *" postgres "* ]] && die "NODES > 1 needs STORE=postgres (nodes share one database)"
command -v smtp-source >/dev/null || die "smtp-source missing (Debian package postfix)"

rm -rf "$STATE"; mkdir -p "$STATE"
# PETREL_BIN=FILE runs that petrel binary instead of one built from this
# tree (an older commit's build, to compare or bisect with this script).
if [ -n "${PETREL_BIN:-}" ]; then cp "$PETREL_BIN" "$STATE/petrel"; else (cd "$ROOT" && go build -o "$STATE/petrel" ./cmd/petrel); fi
(cd "$ROOT" && go build -o "$STATE/mxdns" ./bench/outbound/mxdns)
# cpu_ticks PID prints the process's utime+stime in clock ticks
# (/proc/PID/stat fields 14 and 15; the command name, field 2, has no
# spaces here).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
# petrel_toml K DATA_DIR BACKEND DSN prints node K's configuration (node K
# listens on SMTP_PORT+K-1 and HTTP_PORT+K-1).
petrel_toml() {
	cat <<TOML
hostname = "bench.test"
data_dir = "$2"
[listen]
smtp = ["127.0.0.1:$((SMTP_PORT + $1 - 1))"]
submission = []
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = ["127.0.0.1:$((HTTP_PORT + $1 - 1))"]
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
	storage_toml "$3" "$4"
	if [ -n "${5:-}" ]; then printf '[rspamd]\nurl = "%s"\n' "$5"; fi
	if [ "${ANTISPAM:-0}" = 1 ]; then
		cat <<TOML
[antispam]
dnsbl = ["bl1.bench.test*2", "bl2.bench.test"]
dnsbl_threshold = 2
connection_rate = 1000000
message_rate = 1000000
recipient_rate = 1000000
[antispam.greylist]
enabled = true
exempt_domains = ["source.test"]
TOML
	fi
}

for port in "$SMTP_PORT" "$HTTP_PORT" "$((SMTP_PORT + MAX_NODES - 1))" "$((HTTP_PORT + MAX_NODES - 1))"; do
	busy 127.0.0.1 "$port" && die "port $port is already in use"
done
"$STATE/mxdns" -listen "$DNS_ADDR" -domains 1 -sender source.test &
DNS_PID=$!
PIDS=()
PF=$STATE/postfix
stop_nodes() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
cleanup() {
	stop_nodes
	kill $DNS_PID 2>/dev/null || true
	postfix_stop "$PF"
	rspamd_stop
	if [ "$DOVECOT_STARTED" = 1 ]; then dovecot_stop; fi
	pg_drop_all
}
trap cleanup EXIT

# petrel_leg BACKEND NODES: a fresh store (a new database for postgres),
# NODES petrel serve processes on it, the load split evenly between them
# (N/NODES messages over SESS/NODES sessions to each, all at once), then
# the count of bench1's messages read from the store by the CLI. Prints
# "petrel LEG: ... = R msgs/s".
petrel_leg() {
	local backend=${1%+*} nodes=$2 leg dsn="" k dir el up stored rsp=""
	leg=$1; [ "$nodes" -gt 1 ] && leg="$1-${nodes}nodes"
	[ "$1" = "$backend+rspamd" ] && rsp="http://127.0.0.1:$RSPAMD_PORT"
	dir=$STATE/$leg; mkdir -p "$dir"; rm -f "$dir/source.cpu"
	if [ "$backend" = postgres ]; then pg_create "${leg//-/_}"; dsn=$PG_LEG_DSN; fi
	for ((k = 1; k <= nodes; k++)); do petrel_toml "$k" "$dir/data$k" "$backend" "$dsn" "$rsp" >"$dir/node$k.toml"; done
	# The CLI runs unprofiled: PETREL_CPUPROFILE is the serve process's.
	P() { PETREL_CPUPROFILE= "$STATE/petrel" --config "$dir/node1.toml" "$@"; }
	P domain add bench.test >/dev/null
	for i in $(seq 1 100); do echo pass | P user add "bench$i@bench.test" --password-stdin >/dev/null; done
	if [ "$1" = "$backend+sieve" ]; then
		for i in $(seq 1 100); do
			P sieve put "bench$i@bench.test" rules <"$ROOT/bench/sieve50.sieve" >/dev/null
			P sieve activate "bench$i@bench.test" rules >/dev/null
		done
	fi
	for ((k = 1; k <= nodes; k++)); do
		"$STATE/petrel" --config "$dir/node$k.toml" serve >"$dir/node$k.log" 2>&1 &
		PIDS+=($!)
	done
	for ((k = 1; k <= nodes; k++)); do
		up=0
		for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((HTTP_PORT + k - 1))/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
		[ $up = 1 ] || die "petrel node $k did not start; see $dir/node$k.log"
	done
	local src=() parts=$((nodes > RCPTS ? nodes : RCPTS)) j c cpu0=0 cpu1=0 p
	for p in "${PIDS[@]}"; do cpu0=$((cpu0 + $(cpu_ticks "$p"))); done
	# With PETREL_PPROF (README "Benchmarks": node 1's pprof listener) the
	# allocation profiles before and after the load, for
	# go tool pprof -sample_index=alloc_objects -base allocs0.pb.gz allocs1.pb.gz.
	[ -n "${PETREL_PPROF:-}" ] && curl -sf "http://$PETREL_PPROF/debug/pprof/allocs" -o "$dir/allocs0.pb.gz"
	T0=$(now)
	for ((j = 1; j <= parts; j++)); do
		# Part j (its share of the messages and sessions; the first
		# ones get the remainders) goes to node (j-1)%nodes+1 for
		# bench((j-1)%RCPTS+1).
		(SOURCE_CPU_OUT=$dir/source.cpu smtp_source "$((SMTP_PORT + (j - 1) % nodes))" "$((N / parts + (j <= N % parts)))" \
			"$((SESS / parts + (j <= SESS % parts)))" "$SIZE" "bench$(((j - 1) % RCPTS + 1))@bench.test") &
		src+=($!)
	done
	wait "${src[@]}"
	T1=$(now)
	for p in "${PIDS[@]}"; do cpu1=$((cpu1 + $(cpu_ticks "$p"))); done
	# Node 1's group commits so far: their mean size is how many
	# writes (deliveries, mostly) shared a transaction and its fsync.
	local batch
	batch=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "petrel_store_commit_batch_size_sum" {s=$2} $1 == "petrel_store_commit_batch_size_count" {c=$2} END {if (c > 0) printf "%.1f writes per commit over %d commits", s/c, c}')
	[ -n "${PETREL_PPROF:-}" ] && curl -sf "http://$PETREL_PPROF/debug/pprof/allocs" -o "$dir/allocs1.pb.gz"
	# Then until the background full-text indexer has caught up (its
	# backlog metric 0; a build without the metric has nothing to wait
	# for): the CPU of the index belongs to the message too.
	local bl t_idx cpu2=0
	for _ in $(seq 1 3000); do
		bl=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "petrel_fts_backlog_bodies" {print $2}')
		[ -z "$bl" ] || [ "$bl" = 0 ] && break
		sleep 0.1
	done
	t_idx=$(now)
	for p in "${PIDS[@]}"; do cpu2=$((cpu2 + $(cpu_ticks "$p"))); done
	stop_nodes
	el=$(fsub "$T1" "$T0")
	stored=0
	for ((j = 1; j <= RCPTS; j++)); do
		c=$(P user quota "bench$j@bench.test" | awk '$1 == "messages" {print $2}')
		stored=$((stored + c))
	done
	echo "petrel $leg: $N msgs x ${SIZE}B, $SESS sessions over $nodes node(s): ${el}s = $(rate "$N" "$el") msgs/s"
	echo "  messages in the mailboxes of bench1..bench$RCPTS: $stored (sent $N)"
	# CPU of the petrel process(es) during the load (user+system), per
	# message: less disturbed by other work on the machine than the rate.
	awk -v t="$((cpu1 - cpu0))" -v hz="$CLK_TCK" -v n="$N" -v el="$el" 'BEGIN{
		printf "  petrel CPU: %.2f s (%.0f%% of one core) = %.0f us per message\n", t/hz, 100*t/hz/el, 1e6*t/hz/n }'
	awk -v t="$((cpu2 - cpu0))" -v hz="$CLK_TCK" -v n="$N" -v w="$(fsub "$t_idx" "$T1")" 'BEGIN{
		printf "  petrel CPU until the full-text index caught up (%.1f s after the last message): %.2f s = %.0f us per message\n", w, t/hz, 1e6*t/hz/n }'
	source_cpu "$dir/source.cpu" "$N"
	[ -n "$batch" ] && echo "  store (node 1): $batch"
	echo "  load: $(uptime | sed 's/.*load average: //')"
	[ "$stored" = "$N" ] || echo "WARNING: $leg: not every message is in the mailbox" >&2
}

# The Postfix leg: bench.test's users go over LMTP to Dovecot.
postfix_e2e_config() {
	local i
	postfix_prepare "$PF"
	for ((i = 1; i <= 100; i++)); do echo "bench$i@bench.test ok"; done >"$PF/etc/users"
	{
		postfix_main_cf "$PF" postfix-bench-smtp
		echo "virtual_mailbox_domains = bench.test"
		echo "virtual_mailbox_maps = texthash:$PF/etc/users"
		echo "virtual_transport = lmtp:inet:127.0.0.1:$DOVECOT_LMTP"
		echo "default_transport = error:this instance delivers to bench.test only"
		echo "relay_transport = error:this instance delivers to bench.test only"
	} >"$PF/etc/main.cf"
	postfix_master_cf "127.0.0.1:$PF_PORT" >"$PF/etc/master.cf"
}
# maildir_count DIR prints the number of messages in a Maildir's new/ and cur/.
maildir_count() {
	local n=0 d
	for d in "$1/new" "$1/cur"; do [ -d "$d" ] && n=$((n + $(ls -f "$d" | wc -l) - 2)); done
	echo "$n"
}
# postfix_e2e sends the load to Postfix and waits until all of it is in
# bench1's Maildir at Dovecot (emptied first), polling every 0.1 s.
postfix_e2e() {
	local box=$DOVECOT_MAIL/bench1/Maildir c=0 deadline t2 el_in el_e2e
	dovecot_wipe bench1
	smtp_source "$PF_PORT" "$N" "$SESS" "$SIZE" bench1@bench.test
	deadline=$(($(date +%s) + E2E_TIMEOUT))
	while c=$(maildir_count "$box"); [ "$c" -lt "$N" ]; do
		[ "$(date +%s)" -ge "$deadline" ] && { echo "TIMEOUT: $c/$N delivered" >&2; break; }
		sleep 0.1
	done
	t2=$(now)
	el_in=$(fsub "$T1" "$T0") el_e2e=$(fsub "$t2" "$T0")
	echo "postfix intake:   $N msgs x ${SIZE}B, $SESS sessions: ${el_in}s = $(rate "$N" "$el_in") msgs/s"
	echo "postfix e2e (lmtp): $c delivered in ${el_e2e}s = $(rate "$c" "$el_e2e") msgs/s (drain after intake $(fsub "$t2" "$T1")s); queue now $(postfix_queued "$PF")"
}

LEGS=()
for b in $STORE; do
	if [ "$b" = postgres ]; then for n in $NODES; do LEGS+=("$b $n"); done; else LEGS+=("$b 1"); fi
done
if [ "${RSPAMD:-0}" = 1 ]; then
	rspamd_start "$STATE/rspamd" "$RSPAMD_PORT" "$((RSPAMD_PORT + 1))" "$((RSPAMD_PORT + 2))"
	LEGS+=("sqlite+rspamd 1")
fi
if [ "${SIEVE:-0}" = 1 ]; then
	LEGS+=("sqlite+sieve 1")
	export DOVECOT_SIEVE=$ROOT/bench/sieve50.sieve
fi
RATES=()
for l in "${LEGS[@]}"; do
	echo "== Petrel (${l% *}, ${l#* } node(s))"
	# Not in a subshell: the leg's database and processes must be known
	# to cleanup.
	petrel_leg "${l% *}" "${l#* }" >"$STATE/leg.out"
	cat "$STATE/leg.out"
	RATES+=("$(rate_of <"$STATE/leg.out")")
done

echo "== smtp-sink (the load generator's ceiling)"
sink_out=$(smtp_sink_baseline "$SINK_PORT" "$N" "$SESS" "$SIZE"); echo "$sink_out"
sink_rate=$(echo "$sink_out" | rate_of)
pf_rate=
if [ "${SKIP_POSTFIX:-0}" != 1 ]; then
	echo "== Postfix -> Dovecot LMTP${DOVECOT_SIEVE:+ (Pigeonhole running $(basename "$DOVECOT_SIEVE"))}"
	dovecot_start
	postfix_e2e_config
	postfix_start "$PF" 127.0.0.1 "$PF_PORT"
	pf_out=$(postfix_e2e); echo "$pf_out"
	postfix_stop "$PF"
	pf_rate=$(echo "$pf_out" | grep e2e | rate_of)
fi
echo "== summary (msgs/s; ratios of this run)"
for i in "${!LEGS[@]}"; do
	awk -v leg="${LEGS[$i]}" -v p="${RATES[$i]}" -v f="$pf_rate" -v s="$sink_rate" 'BEGIN{
		split(leg, a, " ")
		printf "Petrel %s, %d node(s): %s msgs/s", a[1], a[2], p
		if (f != "") printf "; / Postfix+Dovecot end to end: %.1fx", p/f
		printf "; / smtp-sink: %.2f\n", p/s
	}'
done
