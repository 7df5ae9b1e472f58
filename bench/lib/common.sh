# Helpers shared by the benchmark scripts (sourced; bash). PROG names the
# script in messages.

die() { echo "${PROG:-bench}: $*" >&2; exit 1; }
now() { date +%s.%N; }
# fsub A B prints A-B with millisecond precision.
fsub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
# rate N SECONDS prints N/SECONDS.
rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s>0) printf "%.1f", n/s; else print "inf"}'; }
# busy HOST PORT succeeds when something accepts connections there.
busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# wait_port HOST PORT [TENTHS] waits (default 10 s) until HOST:PORT accepts.
wait_port() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do busy "$1" "$2" && return 0; sleep 0.1; done
	return 1
}
# rate_of prints the last "= X msgs/s" figure of its input.
rate_of() { sed -n 's/.*= \([0-9.]*\) msgs\/s.*/\1/p' | tail -1; }
