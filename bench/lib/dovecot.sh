#!/bin/bash
# A private Dovecot for the comparisons of bench/*.sh: its own base_dir,
# configuration, users and Maildirs under $DOVECOT_STATE, listening on
# 127.0.0.1 only; /etc/dovecot is neither read nor changed.
#
# Sourced by the scripts (functions dovecot_*), or run by hand:
#
#   bench/lib/dovecot.sh start|stop|status|count USER|wipe USER
#
# Listeners: IMAP $DOVECOT_IMAP (10143), POP3 $DOVECOT_POP3 (10110), LMTP
# $DOVECOT_LMTP (10024). Users bench1..bench$DOVECOT_USERS (100) and
# testuser, password "pass"; the domain is dropped from login names, so
# bench1@bench.test (LMTP) and bench1 (IMAP, POP3) are one user. Mail is
# Maildir, owned by the system user "mail"; settings that bound the
# benchmarks: 1000 processes per service (one per IMAP/POP3 connection,
# Dovecot's default "high-security" login mode), 1000 connections per
# user and address. Needs dovecot-imapd, dovecot-pop3d, dovecot-lmtpd.
# DOVECOT_SIEVE=FILE runs that Sieve script (Pigeonhole, dovecot-sieve)
# at every LMTP delivery, for every user, compiled once beforehand.

DOVECOT_STATE=${DOVECOT_STATE:-/tmp/petrel-bench-dovecot}
DOVECOT_IMAP=${DOVECOT_IMAP:-10143}
DOVECOT_POP3=${DOVECOT_POP3:-10110}
DOVECOT_LMTP=${DOVECOT_LMTP:-10024}
DOVECOT_USERS=${DOVECOT_USERS:-100}
DOVECOT_CONF=$DOVECOT_STATE/dovecot.conf
DOVECOT_MAIL=$DOVECOT_STATE/home      # the users' homes: $DOVECOT_MAIL/USER/Maildir
DOVECOT_STARTED=0                     # 1 once dovecot_start started one

# dovecot_pid prints the master's PID when this instance runs.
dovecot_pid() {
	local p
	p=$(cat "$DOVECOT_STATE/run/master.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dovecot ] && echo "$p"
}

dovecot_config() {
	local uid gid i
	uid=$(id -u mail) gid=$(id -g mail)
	mkdir -p "$DOVECOT_STATE/run" "$DOVECOT_STATE/lib" "$DOVECOT_MAIL"
	chown mail:mail "$DOVECOT_MAIL"
	{
		for ((i = 1; i <= DOVECOT_USERS; i++)); do echo "bench$i:{PLAIN}pass"; done
		echo "testuser:{PLAIN}pass"
	} >"$DOVECOT_STATE/users"
	chown root:dovecot "$DOVECOT_STATE/users" 2>/dev/null || true
	chmod 640 "$DOVECOT_STATE/users"
	cat >"$DOVECOT_CONF" <<CONF
# Written by bench/lib/dovecot.sh: a private, loopback-only instance.
instance_name = petrel-bench-dovecot
base_dir = $DOVECOT_STATE/run
state_dir = $DOVECOT_STATE/lib
log_path = $DOVECOT_STATE/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
mail_location = maildir:~/Maildir
mail_uid = $uid
mail_gid = $gid
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
default_process_limit = 1000
default_client_limit = 4000
shutdown_clients = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DOVECOT_STATE/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DOVECOT_MAIL/%n
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_POP3
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP
  }
  unix_listener lmtp {
    mode = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 1000
  # COMPRESS=DEFLATE (RFC 4978), at its default level 6.
  mail_plugins = \$mail_plugins imap_zlib
}
protocol pop3 {
  mail_max_userip_connections = 1000
}
protocol lmtp {
  postmaster_address = postmaster@bench.test
}
CONF
	if [ -n "${DOVECOT_SIEVE:-}" ]; then
		mkdir -p "$DOVECOT_STATE/sieve"
		cp "$DOVECOT_SIEVE" "$DOVECOT_STATE/sieve/active.sieve"
		sievec "$DOVECOT_STATE/sieve/active.sieve" || die "sievec failed on $DOVECOT_SIEVE"
		chown -R mail:mail "$DOVECOT_STATE/sieve"
		cat >>"$DOVECOT_CONF" <<CONF
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:$DOVECOT_STATE/sieve;active=$DOVECOT_STATE/sieve/active.sieve
}
CONF
	fi
}

# dovecot_start starts the instance unless it runs (then DOVECOT_STARTED=1).
dovecot_start() {
	dovecot_pid >/dev/null && return 0
	command -v dovecot >/dev/null || die "dovecot missing (Debian: dovecot-imapd dovecot-pop3d dovecot-lmtpd)"
	local port
	for port in "$DOVECOT_IMAP" "$DOVECOT_POP3" "$DOVECOT_LMTP"; do
		busy 127.0.0.1 "$port" && die "port $port (Dovecot) is already in use"
	done
	dovecot_config
	dovecot -c "$DOVECOT_CONF" || die "dovecot did not start; see $DOVECOT_STATE/dovecot.log"
	DOVECOT_STARTED=1
	for port in "$DOVECOT_IMAP" "$DOVECOT_POP3" "$DOVECOT_LMTP"; do
		wait_port 127.0.0.1 "$port" || die "dovecot does not listen on $port; see $DOVECOT_STATE/dovecot.log"
	done
}

# dovecot_stop stops the instance (and waits up to 15 s for it).
dovecot_stop() {
	local p i
	p=$(dovecot_pid) || return 0
	kill -TERM "$p"
	for ((i = 0; i < 150; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}

# dovecot_count USER prints the number of messages in USER's INBOX.
dovecot_count() {
	doveadm -c "$DOVECOT_CONF" -f flow mailbox status -u "$1" messages INBOX | sed 's/.*messages=//'
}

# dovecot_wipe USER deletes USER's home. Expunging would not do: a Maildir
# directory keeps its size on ext4, and later deliveries scan it.
dovecot_wipe() {
	case $1 in "" | */* | .*) die "bad user name '$1'" ;; esac
	doveadm -c "$DOVECOT_CONF" kick "$1" >/dev/null 2>&1 || true
	rm -rf "${DOVECOT_MAIL:?}/$1"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	PROG=dovecot.sh
	. "$(dirname "$0")/common.sh"
	case ${1:-} in
	start) dovecot_start; dovecot_pid ;;
	stop) dovecot_stop ;;
	status) if p=$(dovecot_pid); then echo "running, pid $p, conf $DOVECOT_CONF"; else echo "not running"; exit 1; fi ;;
	count) dovecot_count "${2:?user}" ;;
	wipe) dovecot_wipe "${2:?user}" ;;
	*) sed -n '2,18p' "$0"; exit 2 ;;
	esac
fi
