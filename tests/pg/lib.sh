# shellcheck shell=bash
#
# NAME
#	tests/pg/lib.sh - a private PostgreSQL cluster for the tests
# SYNOPSIS
#	. tests/pg/lib.sh
#	pg_setup; pg_start; pg_passfile OWNER; ... pg_stop_fast; pg_start
# DESCRIPTION
#	Debian's postgresql 15 (initdb and pg_ctl from
#	/usr/lib/postgresql/15/bin): a cluster in a temporary directory
#	under $SG_TEST_ROOT, on 127.0.0.1 and a free port and on a unix
#	socket in that directory, run as postgres when the test runs as
#	root (the server refuses root). TCP connections need the password
#	(scram-sha-256), as a real deployment's would, so that the milter
#	proves it reads it from a passfile; the unix socket trusts, for the
#	test's own psql. pg_cleanup (call it from the test's EXIT trap)
#	stops the server and removes the directory whatever happened.
#
#	After pg_setup: PG_DIR, PG_PORT, PG_USER (sgtest), PG_DB
#	(sendguard), PG_DSN_BASE ("host=127.0.0.1 port=P dbname=sendguard
#	user=sgtest"); after pg_passfile: PG_PASSFILE and PG_DSN (with
#	passfile=). PG_FSYNC=on before pg_setup: a durable cluster (the
#	tests run with fsync=off; the store bench must not).
# DIAGNOSTICS
#	pg_setup and pg_start print why and return 1 on failure.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR="" PG_PORT="" PG_OS_USER="" PG_PASSFILE="" PG_DSN="" PG_DSN_BASE=""
PG_USER=sgtest PG_DB=sendguard
declare -F sg_pick_port >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../e2e/ports.sh"

pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi; }

pg_setup() {
	local root=${SG_TEST_ROOT:-/var/tmp/sg-test} pw
	[ -x "$PG_BIN/initdb" ] || { echo "pg: no $PG_BIN/initdb (apt-get install postgresql; make deps)" >&2; return 1; }
	mkdir -p "$root"
	PG_DIR=$(mktemp -d "$root/pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	PG_OS_USER=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		PG_OS_USER=postgres
		id postgres >/dev/null 2>&1 || { echo "pg: no postgres user" >&2; return 1; }
		chown postgres "$PG_DIR"
	fi
	# A loopback port reserved machine-wide as the e2e scripts reserve
	# theirs: other scripts, helpers and checkouts run beside this one.
	sg_pick_port PG_PORT
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	printf '%s\n' "$pw" >"$PG_DIR/pw"
	chown "$PG_OS_USER" "$PG_DIR/pw"
	chmod 600 "$PG_DIR/pw"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --auth-local=trust \
		--auth-host=scram-sha-256 --pwfile="$PG_DIR/pw" --no-sync -E UTF8 \
		--locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	PG_PW=$pw
	rm -f "$PG_DIR/pw"
	pg_start || return 1
	pg_as "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U "$PG_USER" "$PG_DB" ||
		{ echo "pg: createdb failed" >&2; return 1; }
	PG_DSN_BASE="host=127.0.0.1 port=$PG_PORT dbname=$PG_DB user=$PG_USER"
}

pg_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=60" \
		start >/dev/null || { tail -20 "$PG_DIR/server.log" >&2; return 1; }
}
# What an administrator's "systemctl stop postgresql" does: fast
# shutdown, every session is ended at once.
pg_stop_fast() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null; }

pg_cleanup() {
	[ -n "$PG_DIR" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=""
}

# pg_passfile OWNER: the password in a libpq passfile readable by OWNER
# only (mode 0600, what libpq itself demands), and PG_DSN naming it.
pg_passfile() {
	PG_PASSFILE=$PG_DIR/pgpass
	printf '127.0.0.1:%s:%s:%s:%s\n' "$PG_PORT" "$PG_DB" "$PG_USER" "$PG_PW" >"$PG_PASSFILE"
	chown "$1" "$PG_PASSFILE"
	chmod 600 "$PG_PASSFILE"
	PG_DSN="$PG_DSN_BASE passfile=$PG_PASSFILE"
}

# pg_sql SQL: one query through the trusted unix socket, unaligned,
# no header (the test's own reads of the store).
pg_sql() {
	pg_as psql -h "$PG_DIR" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qAtX -c "$1" 2>&1
}
