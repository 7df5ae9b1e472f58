# shellcheck shell=bash
# Petrel's storage backend for the benchmark scripts (sourced; bash, after
# common.sh). A script runs a Petrel leg per backend named in STORE:
#
#   STORE="sqlite"             the default: data_dir's embedded SQLite store
#   STORE="postgres"           a fresh PostgreSQL database per leg, dropped
#                              when the script ends (PG_DSN: a role that may
#                              create databases; default the local test
#                              server of docs/benchmarks.md)
#   STORE="sqlite postgres"    both, one after the other, in the same run
#
# The database is named petrel_bench_<script>_<pid>_<leg>: the script only
# ever drops the databases it created. Needs psql (Debian postgresql-client).

STORE=${STORE:-sqlite}
PG_DSN=${PG_DSN:-postgres://petrel@127.0.0.1:55432/postgres?sslmode=disable}
PG_DBS=()

for _s in $STORE; do
	case $_s in
	sqlite | postgres) ;;
	*) die "STORE: unknown backend '$_s' (sqlite, postgres)" ;;
	esac
done
unset _s
case " $STORE " in *" postgres "*) command -v psql >/dev/null || die "psql missing (Debian postgresql-client)" ;; esac

# pg_dsn_for DB prints PG_DSN with its database replaced by DB.
pg_dsn_for() {
	local base=${PG_DSN%%\?*} query=
	[ "$base" != "$PG_DSN" ] && query="?${PG_DSN#*\?}"
	echo "${base%/*}/$1$query"
}

# pg_create LEG creates a fresh database for a leg and sets PG_LEG_DSN to
# its DSN (not in a subshell: PG_DBS remembers it for pg_drop_all).
pg_create() {
	local db="petrel_bench_${PROG_TAG:-bench}_$$_$1"
	psql -q -v ON_ERROR_STOP=1 "$PG_DSN" -c "CREATE DATABASE $db" >/dev/null ||
		die "cannot create database $db at $PG_DSN"
	PG_DBS+=("$db")
	# shellcheck disable=SC2034 # read by the sourcing script
	PG_LEG_DSN=$(pg_dsn_for "$db")
}

# pg_drop_all drops the databases this script created (call it from the
# EXIT trap, after every Petrel process of the run has stopped).
pg_drop_all() {
	local db
	for db in "${PG_DBS[@]}"; do
		psql -q "$PG_DSN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
			echo "${PROG:-bench}: could not drop database $db" >&2
	done
	PG_DBS=()
}

# storage_toml BACKEND DSN prints the [storage] section of a Petrel
# configuration (nothing for sqlite: data_dir holds the store).
storage_toml() {
	[ "$1" = postgres ] || return 0
	printf '[storage]\ndriver = "postgres"\ndsn = "%s"\n' "$2"
}

# max_nodes "1 2" checks a NODES list (numbers of nodes, 1 to 9) and prints
# its largest.
max_nodes() {
	local n max=1
	for n in $1; do
		[[ $n =~ ^[1-9]$ ]] || die "NODES: want numbers of nodes from 1 to 9, got '$n'"
		[ "$n" -gt "$max" ] && max=$n
	done
	echo "$max"
}
