# A private rspamd with its redis-server on loopback, for the benchmark
# legs with the content filter (sourced; bash; needs common.sh). The same
# configuration as the tests' (internal/testkit/rspamdserver.go): the
# system's rules, those that need the network off (DNS lists, SPF, DKIM,
# DMARC, greylisting, fuzzy, ...), so that a scan costs CPU, not waits.
#
#   rspamd_start DIR NORMAL_PORT CONTROLLER_PORT REDIS_PORT
#   rspamd_stop

RSPAMD_PIDS=()
rspamd_start() {
	local dir=$1 m
	command -v rspamd >/dev/null || die "rspamd missing (apt-get install rspamd redis-server)"
	mkdir -p "$dir/local.d"
	redis-server --port "$4" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
	RSPAMD_PIDS+=($!)
	printf 'bind_socket = "127.0.0.1:%s";\ncount = %s;\n' "$2" "${RSPAMD_WORKERS:-1}" >"$dir/local.d/worker-normal.inc"
	printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\npassword = "bench";\n' "$3" >"$dir/local.d/worker-controller.inc"
	echo 'enabled = false;' >"$dir/local.d/worker-proxy.inc"
	printf 'local_addrs = [];\nhs_cache_dir = "%s";\ndns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 1; }\n' \
		"${XDG_CACHE_HOME:-$HOME/.cache}/petrel-rspamd-hs" >"$dir/local.d/options.inc"
	mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/petrel-rspamd-hs"
	printf 'servers = "127.0.0.1:%s";\n' "$4" >"$dir/local.d/redis.conf"
	printf 'type = "file";\nfilename = "%s/rspamd.log";\nlevel = "notice";\n' "$dir" >"$dir/local.d/logging.inc"
	for m in greylist rbl asn hfilter spf dmarc dkim fuzzy_check mx_check reputation neural phishing surbl emails \
		rspamd_update ratelimit replies history_redis; do
		echo 'enabled = false;' >"$dir/local.d/$m.conf"
	done
	local root=()
	[ "$(id -u)" = 0 ] && root=(-i -u root -g root)
	rspamd -f -c /etc/rspamd/rspamd.conf --var "LOCAL_CONFDIR=$dir" --var "DBDIR=$dir" --var "RUNDIR=$dir" \
		--var "LOGDIR=$dir" "${root[@]}" >"$dir/rspamd.out" 2>&1 &
	RSPAMD_PIDS+=($!)
	wait_port 127.0.0.1 "$2" 600 || die "rspamd did not start; see $dir/rspamd.log"
}
rspamd_stop() {
	local p
	for p in "${RSPAMD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${RSPAMD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	RSPAMD_PIDS=()
}
