#!/bin/bash
#
# NAME
#	gateway.sh - two gateways on one store: each apply and reconcile
#	acts on its own holds only; gateway retire (issue 20)
# SYNOPSIS
#	gateway.sh sqlite
#	gateway.sh postgresql DSN	(an empty database: tests/pg/run.sh)
# DESCRIPTION
#	Two configurations, gateways gw-a and gw-b, share one store; each
#	has its own queue, a fake Postfix (tests/pg/fakepf.sh) that logs
#	what is done to which queue file. Holds are made with pg_hold
#	mkhold:
#	  1 gw-a approved, its file on hold in gw-a's queue;
#	  2 gw-b approved, its file on hold in gw-b's queue only;
#	  3 gw-b pending, a day old, its file on hold in gw-b's queue only.
#	Then:
#	  - gw-a's apply releases 1, touches nothing of gw-b (2 stays not
#	    carried out), exit 0;
#	  - gw-a's reconcile leaves 3 pending (it is not "missing from the
#	    queue": it is gw-b's) and 2 undone, exit 0; gw-a's queue is
#	    untouched;
#	  - gw-b's apply releases 2;
#	  - list --json and show name each hold's gateway;
#	  - gateway retire: bad arguments are usage errors (64), gw-a
#	    refuses to retire itself without --force (1), gw-a retires
#	    gw-b: hold 3 (pending) is orphaned, hold 2 (decided) is not,
#	    list shows "orphaned", approve is refused, the administrator
#	    ([approvers] default) is sent a notice, audit verify intact.
#	Output: one line per assertion, "N passed, M failed" last.
# ENVIRONMENT
#	SG_CTL, SG_PGHOLD (tests/pg/pg_hold), SG_SRCDIR, SG_TEST_ROOT.
set -u
src=${SG_SRCDIR:-.}
ctl=${SG_CTL:-$src/build/test/sendguardctl}
pghold=${SG_PGHOLD:-$src/build/test/pg/pg_hold}
root=${SG_TEST_ROOT:-/var/tmp/sg-test}
backend=${1:?usage: gateway.sh sqlite | postgresql DSN}
dsn=${2:-}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $backend: $*"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) $backend: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }

mkdir -p "$root"
dir=$(mktemp -d "$root/gw.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
where=$dir/store.db
[ "$backend" = postgresql ] && where=$dsn
for g in a b; do
	mkdir -p "$dir/pf$g" "$dir/keys"
	cat > "$dir/$g.conf" <<CONF
[policy]
internal_domains = example.lg.jp
[milter]
user = root
[store]
backend = $backend
path = $dir/store.db
dsn = $dsn
gateway = gw-$g
[keys]
dir = $dir/keys
[approvers]
default = admin@example.lg.jp
[notify]
sendmail = $dir/sendmail
templates = $src/conf/templates
[release]
postfix_config_dir = $dir/pf$g
postqueue = $src/tests/pg/fakepf.sh postqueue
postsuper = $src/tests/pg/fakepf.sh postsuper
postcat = $src/tests/pg/fakepf.sh postcat
postconf = $src/tests/pg/fakepf.sh postconf
postkick = $src/tests/pg/fakepf.sh postkick
[rules]
dir = $src/rules
CONF
done
printf '#!/bin/sh\necho "$*" >> %s/sent\ncat >> %s/sent\n' "$dir" "$dir" > "$dir/sendmail"
chmod 755 "$dir/sendmail"
CTL() { local g=$1; shift; "$ctl" -c "$dir/$g.conf" "$@"; }
out=$(CTL a keygen 2>&1) || { echo "$out"; nok "keygen"; }
out=$(CTL a store init 2>&1); rc=$?
check "store init ($rc)" [ $rc = 0 ]
mk() { "$pghold" mkhold "$backend" "$where" "$@"; }
h1=$(mk gw-a 1 AAAAAA1 approved) && h2=$(mk gw-b 2 BBBBBB2 approved) &&
	h3=$(mk gw-b 3 BBBBBB3 pending)
check "three holds on two gateways" [ -n "${h3:-}" ]
echo "AAAAAA1 hold $h1" > "$dir/pfa/queue"
printf 'BBBBBB2 hold %s\nBBBBBB3 hold %s\n' "$h2" "$h3" > "$dir/pfb/queue"

status() {	# status G ID: "status applied gateway" of hold ID
	CTL "$1" show "$2" --json | tr ',' '\n' | sed -n \
		-e 's/^"status":"\(.*\)"$/\1/p' -e 's/^"applied":\(.*\)$/\1/p' \
		-e 's/^"gateway":"\(.*\)"$/\1/p' | paste -sd' '
}

out=$(CTL a apply 2>&1); rc=$?
check "gw-a apply exits 0 ($rc: $(echo "$out" | tail -1))" [ $rc = 0 ]
check "gw-a apply released its own hold" [ "$(cat "$dir/pfa/actions" 2>/dev/null)" = "-H AAAAAA1" ]
check "gw-a apply recorded its own hold applied ($(status a "$h1"))" \
	[ "$(status a "$h1")" = "approved true gw-a" ]
check "gw-a apply left gw-b's approved hold undone ($(status a "$h2"))" \
	[ "$(status a "$h2")" = "approved false gw-b" ]
check "gw-a apply did not touch gw-b's queue" [ ! -e "$dir/pfb/actions" ]

out=$(CTL a reconcile 2>&1); rc=$?
check "gw-a reconcile exits 0 ($rc: $(echo "$out" | tail -1))" [ $rc = 0 ]
check "gw-a reconcile leaves gw-b's pending hold pending ($(status a "$h3"))" \
	[ "$(status a "$h3")" = "pending false gw-b" ]
check "gw-a reconcile leaves gw-b's decided hold undone ($(status a "$h2"))" \
	[ "$(status a "$h2")" = "approved false gw-b" ]
check "gw-a reconcile reports no other gateway's hold" \
	eval '! echo "$out" | grep -q "$h2\|$h3"'
check "gw-a's queue untouched by reconcile" [ "$(cat "$dir/pfa/actions")" = "-H AAAAAA1" ]

out=$(CTL b apply 2>&1); rc=$?
check "gw-b apply exits 0 ($rc)" [ $rc = 0 ]
check "gw-b apply released its own hold" [ "$(cat "$dir/pfb/actions" 2>/dev/null)" = "-H BBBBBB2" ]
check "gw-b's hold carried out ($(status b "$h2"))" [ "$(status b "$h2")" = "approved true gw-b" ]

out=$(CTL a list 2>&1)
check "list shows the gateway column" eval 'echo "$out" | head -1 | grep -q GATEWAY && echo "$out" | grep "$h3" | grep -q " gw-b "'
out=$(CTL a show "$h3" 2>&1)
check "show names the gateway" eval 'echo "$out" | grep -q "^ゲートウェイ / Gateway: gw-b$"'

# gateway retire
CTL a gateway retire >/dev/null 2>&1; rc=$?
check "retire without a name: usage ($rc)" [ $rc = 64 ]
out=$(CTL a gateway retire 'gw b' 2>&1); rc=$?
check "retire of a name that is no gateway name: usage ($rc)" \
	eval '[ $rc = 64 ] && echo "$out" | grep -q "not a gateway name"'
out=$(CTL a gateway retire gw-a 2>&1); rc=$?
check "gw-a refuses to retire itself without --force ($rc)" \
	eval '[ $rc = 1 ] && echo "$out" | grep -q "own gateway"'
check "the refused retire orphaned nothing ($(status a "$h1"))" \
	[ "$(status a "$h1")" = "approved true gw-a" ]
out=$(CTL a gateway retire gw-b 2>&1); rc=$?
check "gw-a retires gw-b ($rc: $out)" \
	eval '[ $rc = 0 ] && echo "$out" | grep -q "1 holds orphaned, 1 administrator told"'
out=$(CTL a list --json)
check "the pending hold of gw-b is orphaned" \
	eval 'echo "$out" | tr "{" "\n" | grep "$h3" | grep -q "\"orphaned\":true"'
check "the decided hold of gw-b is not" \
	eval 'echo "$out" | tr "{" "\n" | grep "$h2" | grep -q "\"orphaned\":false"'
check "list shows it orphaned" eval 'CTL a list | grep "$h3" | grep -q " orphaned "'
check "show says 廃止されたゲートウェイ" eval 'CTL a show "$h3" | grep -q "廃止されたゲートウェイ"'
out=$(CTL a approve "$h3" --by boss@example.lg.jp --checked all 2>&1); rc=$?
check "an orphaned hold cannot be approved ($rc: $out)" \
	eval '[ $rc = 1 ] && echo "$out" | grep -q orphaned'
check "the administrator was sent a notice" \
	eval 'grep -q "admin@example.lg.jp" "$dir/sent" 2>/dev/null'
out=$(CTL a audit verify 2>&1); rc=$?
check "audit verify after retire ($rc)" [ $rc = 0 ]

echo "$pass passed, $fail failed"
[ $fail = 0 ]
