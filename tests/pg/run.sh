#!/bin/bash
#
# NAME
#	run.sh - the PostgreSQL store against its own PostgreSQL
# DESCRIPTION
#	Starts a private cluster (Debian's postgresql 15: initdb and pg_ctl
#	from /usr/lib/postgresql/15/bin) in a temporary directory under
#	$SG_TEST_ROOT, listening on 127.0.0.1 on a free port and on a unix
#	socket in that directory, as an unprivileged user (postgres when
#	run as root: the server refuses to run as root); a trap stops it and
#	removes the directory whatever happens. Then:
#	  - pg_store unit: schema, version checks, the audit chain, a chain
#	    copied from SQLite, nonces (tests/pg/pg_store.c);
#	  - pg_vote: votes, delegations, escalation, the outbox (two
#	    processes claiming at once) and the retention purge, each
#	    scenario on a fresh SQLite store and on PostgreSQL with the same
#	    outcome and the same audit records (tests/pg/pg_vote.c);
#	  - pg_hold: holds and previews, every scenario on SQLite and on
#	    PostgreSQL with the same outcome and audit records, and two
#	    processes deciding one hold at once (tests/pg/pg_hold.c);
#	  - two gateways on the store: apply and reconcile act on their own
#	    holds only (tests/pg/gateway.sh);
#	  - sendguardctl with [store] backend = postgresql: store init,
#	    store migrate, audit verify, doctor's store line, and a DSN with
#	    a password refused by the loader (exit 78);
#	  - K writer processes appending to the audit chain at once (no lost
#	    or duplicated record) and `sendguardctl audit verify` after them;
#	    the time they took is printed.
#	Output: one line per assertion, "N passed, M failed" last.
# ENVIRONMENT
#	SG_CTL (sendguardctl), SG_PGSTORE (pg_store), SG_PGVOTE (pg_vote),
#	SG_PGHOLD (pg_hold), SG_SRCDIR,
#	SG_TEST_ROOT; SG_PG_WRITERS (8) and SG_PG_RECORDS (200) per writer.
set -u
src=${SG_SRCDIR:-.}
ctl=${SG_CTL:-$src/build/test/sendguardctl}
pgstore=${SG_PGSTORE:-$src/build/test/pg/pg_store}
pgvote=${SG_PGVOTE:-$src/build/test/pg/pg_vote}
pghold=${SG_PGHOLD:-$src/build/test/pg/pg_hold}
root=${SG_TEST_ROOT:-/var/tmp/sg-test}
bin=/usr/lib/postgresql/15/bin
K=${SG_PG_WRITERS:-8}
N=${SG_PG_RECORDS:-200}
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $*"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) $*"; }
die() { echo "pg: $*" >&2; echo "$pass passed, $((fail + 1)) failed"; exit 1; }

[ -x "$bin/initdb" ] || die "no $bin/initdb (Debian: apt-get install postgresql; make deps)"
[ -x "$ctl" ] || die "no sendguardctl at $ctl"
[ -x "$pgstore" ] || die "no pg_store at $pgstore"
[ -x "$pgvote" ] || die "no pg_vote at $pgvote"
[ -x "$pghold" ] || die "no pg_hold at $pghold"
mkdir -p "$root"
dir=$(mktemp -d "$root/pg.XXXXXX") || die "mktemp"
chmod 755 "$dir"
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
	user=postgres
	id "$user" >/dev/null 2>&1 || die "no postgres user (the postgresql package makes it)"
	chown "$user" "$dir"
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }

cleanup() {
	as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free loopback port, reserved machine-wide (tests/e2e/ports.sh):
# several helpers, lanes and CI may run this at once.
. "$(dirname "$0")/../e2e/ports.sh"
port=
sg_pick_port port

as_pg "$bin/initdb" -D "$dir/data" -U sgtest -A trust --no-sync -E UTF8 \
	--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb"; }
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" \
	start >/dev/null || { cat "$dir/server.log" >&2; die "pg_ctl start"; }
as_pg "$bin/createdb" -h "$dir" -p "$port" -U sgtest sendguard || die "createdb"
ok "private PostgreSQL on 127.0.0.1:$port ($dir)"

dsn="host=127.0.0.1 port=$port dbname=sendguard user=sgtest"

# The store's own tests.
"$pgstore" unit "$dsn" > "$dir/unit.out" 2>&1
sed -n 's/^\(not \)\{0,1\}ok [0-9]* /  unit: &/p' "$dir/unit.out"
if tail -n 1 "$dir/unit.out" | grep -q ' 0 failed$'; then ok "pg_store unit"; else
	cat "$dir/unit.out"; nok "pg_store unit"; fi

# The same scenarios on SQLite and on PostgreSQL (it recreates the
# schema for each; sendguardctl's tests below start from an empty one).
SG_TEST_ROOT=$dir "$pgvote" "$dsn" > "$dir/vote.out" 2> "$dir/vote.err"
sed -n 's/^\(not \)\{0,1\}ok [0-9]* /  vote: &/p' "$dir/vote.out"
if tail -n 1 "$dir/vote.out" | grep -q ' 0 failed$'; then
	ok "pg_vote: $(tail -n 1 "$dir/vote.out")"
else
	grep -v "^ok " "$dir/vote.out"; cat "$dir/vote.err"; nok "pg_vote"
fi
# Holds and previews: each scenario on SQLite and on PostgreSQL, the
# same outcome, and two processes racing to decide one hold.
"$pghold" "$dsn" > "$dir/hold.out" 2>&1
sed -n 's/^\(not \)\{0,1\}ok [0-9]* /  hold: &/p' "$dir/hold.out"
if tail -n 1 "$dir/hold.out" | grep -q ' 0 failed$'; then ok "pg_hold: holds and previews as on SQLite"; else
	cat "$dir/hold.out"; nok "pg_hold"; fi

# Two gateways on the PostgreSQL store: apply and reconcile act on
# their own holds only (tests/pg/gateway.sh, also run on SQLite by
# make check-tests).
as_pg psql -h "$dir" -p "$port" -U sgtest -q -d sendguard \
	-c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null 2>&1
SG_TEST_ROOT=$dir SG_CTL=$ctl SG_PGHOLD=$pghold bash "$src/tests/pg/gateway.sh" \
	postgresql "$dsn" > "$dir/gateway.out" 2>&1
sed -n 's/^\(not \)\{0,1\}ok [0-9]* /  gateway: &/p' "$dir/gateway.out"
if tail -n 1 "$dir/gateway.out" | grep -q ' 0 failed$'; then
	ok "two gateways: each acts on its own holds"
else
	cat "$dir/gateway.out"; nok "gateway.sh"
fi

# sendguardctl on the PostgreSQL store. The configuration is readable by
# [milter] user (sendguardctl run as root becomes it).
conf=$dir/sendguard.conf
cat > "$conf" <<CONF
[policy]
internal_domains = example.lg.jp
[store]
backend = postgresql
dsn = $dsn
[rules]
dir = $src/rules
CONF
chmod 644 "$conf"
as_pg psql -h "$dir" -p "$port" -U sgtest -q -d sendguard \
	-c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null 2>&1
out=$("$ctl" -c "$conf" store init 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "store postgresql (.*dbname=sendguard" \
	&& ok "store init creates the schema" || nok "store init: $rc $out"
out=$("$ctl" -c "$conf" store migrate 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "nothing to do" \
	&& ok "store migrate of a current store" || nok "store migrate: $rc $out"
out=$("$ctl" -c "$conf" audit verify 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "intact: 0 records" \
	&& ok "audit verify of the new store" || nok "audit verify: $rc $out"
out=$("$ctl" -c "$conf" doctor 2>&1)
echo "$out" | grep -q "store opens (postgresql, schema" \
	&& ok "doctor connects and reads the schema version" || nok "doctor: $out"
sed "s|^dsn = .*|dsn = $dsn password=secret|" "$conf" > "$dir/bad.conf"
out=$("$ctl" -c "$dir/bad.conf" audit verify 2>&1); rc=$?
[ $rc = 78 ] && echo "$out" | grep -q "bad.conf:5: \[store\] dsn: a password" \
	&& ! echo "$out" | grep -q secret \
	&& ok "a password in the DSN is a configuration error (file, line, key)" \
	|| nok "password DSN: $rc $out"

# Writers at once.
start=$(date +%s.%N)
"$pgstore" writers "$dsn" "$K" "$N" > "$dir/writers.out" 2>&1
end=$(date +%s.%N)
sed -n 's/^\(not \)\{0,1\}ok [0-9]* /  writers: &/p' "$dir/writers.out"
if tail -n 1 "$dir/writers.out" | grep -q ' 0 failed$'; then
	ok "$K writer processes x $N records: none lost or duplicated"
else
	cat "$dir/writers.out"; nok "writers"
fi
echo "  $((K * N)) appends by $K processes in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
out=$("$ctl" -c "$conf" audit verify 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "intact: $((K * N)) records" \
	&& ok "sendguardctl audit verify after the writers" || nok "audit verify: $rc $out"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
