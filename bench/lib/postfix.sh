# Postfix for the comparisons of bench/*.sh (sourced; bash; needs
# common.sh): private instances with their own config_directory, queue
# and log under a directory of the script's state, listening on loopback
# only (/etc/postfix is neither read nor changed), and the load generator
# of the SMTP benchmarks, Postfix's smtp-source, with smtp-sink as the
# server that does nothing. Needs the Debian package postfix.

# postfix_master_cf ADDR prints a master.cf whose only listener is an
# smtpd on ADDR (host:port); no service is chrooted (the queue is not
# under /var/spool/postfix).
postfix_master_cf() {
	cat <<MASTER
# service      type  private unpriv chroot wakeup maxproc command
$1 inet n - n - - smtpd
pickup         unix  n - n 60 1 pickup
cleanup        unix  n - n - 0 cleanup
qmgr           unix  n - n 300 1 qmgr
rewrite        unix  - - n - - trivial-rewrite
bounce         unix  - - n - 0 bounce
defer          unix  - - n - 0 bounce
trace          unix  - - n - 0 bounce
verify         unix  - - n - 1 verify
flush          unix  n - n 1000? 0 flush
proxymap       unix  - - n - - proxymap
proxywrite     unix  - - n - 1 proxymap
smtp           unix  - - n - - smtp
relay          unix  - - n - - smtp
showq          unix  n - n - - showq
error          unix  - - n - - error
retry          unix  - - n - - error
discard        unix  - - n - - discard
local          unix  - n n - - local
virtual        unix  - n n - - virtual
lmtp           unix  - - n - - lmtp
anvil          unix  - - n - 1 anvil
scache         unix  - - n - 1 scache
postlog        unix-dgram n - n - 1 postlogd
MASTER
}

# postfix_main_cf DIR NAME prints the part of main.cf every instance
# shares: paths under DIR, loopback only, no local delivery, no bounces
# to the benchmark's made-up senders, Postfix's defaults otherwise
# (in_flow_delay 1s, 100 processes per service, 20 connections per
# destination).
postfix_main_cf() {
	cat <<MAIN
# Written by bench/lib/postfix.sh: a private, loopback-only instance.
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
mail_owner = postfix
syslog_name = $2
maillog_file = $1/log/postfix.log
maillog_file_prefixes = $1/log
myhostname = mta.bench.test
mydomain = bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_transport = error:no local delivery
local_recipient_maps =
alias_maps =
alias_database =
smtp_dns_support_level = disabled
biff = no
notify_classes =
MAIN
}

# postfix_prepare DIR makes the directories of an instance in DIR (its
# configuration goes to DIR/etc).
postfix_prepare() {
	mkdir -p "$1/etc" "$1/queue" "$1/data" "$1/log"
	chown postfix "$1/data"
}

postfix_master_pid() {
	local p
	p=$(tr -dc 0-9 2>/dev/null <"$1/data/master.lock") || return 1
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = master ] && echo "$p"
}

# postfix_start DIR HOST PORT starts the instance of DIR and waits until
# its smtpd listens on HOST:PORT.
postfix_start() {
	command -v postfix >/dev/null || die "postfix missing (Debian package postfix)"
	busy "$2" "$3" && die "port $2:$3 (Postfix) is already in use"
	postfix -c "$1/etc" start >/dev/null 2>&1 || die "postfix did not start; see $1/log/postfix.log"
	wait_port "$2" "$3" || die "postfix does not listen on $2:$3; see $1/log/postfix.log"
}

# postfix_stop DIR stops the instance of DIR (waiting up to 15 s).
postfix_stop() {
	local p i
	p=$(postfix_master_pid "$1") || return 0
	postfix -c "$1/etc" stop >/dev/null 2>&1 || kill -TERM "$p"
	for ((i = 0; i < 150; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}

# postfix_queued DIR prints the number of messages in the instance's queue.
postfix_queued() {
	local n=0 q
	for q in maildrop incoming active deferred hold; do
		[ -d "$1/queue/$q" ] && n=$((n + $(find "$1/queue/$q" -type f | wc -l)))
	done
	echo "$n"
}

# smtp_source PORT N SESSIONS SIZE RCPT sends N messages of SIZE octets
# to RCPT at 127.0.0.1:PORT over SESSIONS parallel sessions, a new
# connection per message, from bench-sender@source.test with HELO
# source.test; sets T0 and T1 (start and end). Bounded by SOURCE_TIMEOUT
# (900 s). With SOURCE_CPU_OUT=FILE, smtp-source's own CPU time in
# seconds (user + system, /usr/bin/time) is appended to FILE: the load
# generator's share of the machine.
smtp_source() {
	local tm=()
	[ -n "${SOURCE_CPU_OUT:-}" ] && [ -x /usr/bin/time ] && tm=(/usr/bin/time -a -o "$SOURCE_CPU_OUT" -f "%U %S")
	T0=$(now)
	timeout "${SOURCE_TIMEOUT:-900}" "${tm[@]}" smtp-source -4 -s "$3" -m "$2" -l "$4" \
		-f bench-sender@source.test -t "$5" -M source.test "127.0.0.1:$1" ||
		echo "smtp-source: exit status $?" >&2
	T1=$(now)
}

# source_cpu FILE N prints the CPU per message of the smtp-source runs
# recorded in FILE (SOURCE_CPU_OUT), for N messages.
source_cpu() {
	[ -s "$1" ] || return 0
	awk -v n="$2" '{t += $1 + $2} END {printf "  smtp-source CPU: %.2f s = %.0f us per message\n", t, 1e6*t/n}' "$1"
}

# smtp_intake PORT N SESSIONS SIZE RCPT runs smtp_source and prints
# "intake 127.0.0.1:PORT: ... = R msgs/s".
smtp_intake() {
	local el
	smtp_source "$@"
	el=$(fsub "$T1" "$T0")
	echo "intake 127.0.0.1:$1: $2 msgs x ${4}B, $3 sessions: ${el}s = $(rate "$2" "$el") msgs/s"
}

# smtp_sink_baseline PORT N SESSIONS SIZE: the same load into smtp-sink on
# 127.0.0.1:PORT (started and stopped here), the load generator's ceiling.
smtp_sink_baseline() {
	local pid el
	command -v smtp-sink >/dev/null || die "smtp-sink missing (Debian package postfix)"
	busy 127.0.0.1 "$1" && die "port $1 (smtp-sink) is already in use"
	if [ "$(id -u)" = 0 ]; then smtp-sink -4 -u nobody "127.0.0.1:$1" 1024 &
	else smtp-sink -4 "127.0.0.1:$1" 1024 & fi
	pid=$!
	wait_port 127.0.0.1 "$1" || die "smtp-sink did not start"
	local cpu="${STATE:-/tmp}/sink-source.cpu" t0 t1
	rm -f "$cpu"
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	SOURCE_CPU_OUT=$cpu smtp_source "$1" "$2" "$3" "$4" sink@sink.test
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	el=$(fsub "$T1" "$T0")
	echo "smtp-sink baseline: $2 msgs x ${4}B, $3 sessions: ${el}s = $(rate "$2" "$el") msgs/s"
	awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN{
		printf "  smtp-sink CPU: %.2f s = %.0f us per message\n", t/hz, 1e6*t/hz/n }'
	source_cpu "$cpu" "$2"
}
