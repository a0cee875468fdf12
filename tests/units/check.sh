#!/bin/bash
# NAME
#	check.sh - `sendguard-milter --check` refuses what start-up refuses
# SYNOPSIS
#	SG_SRCDIR=REPO SG_MILTER=build/test/sendguard-milter bash tests/units/check.sh
# DESCRIPTION
#	The unit runs --check as ExecStartPre, so a configuration it calls
#	valid must start. For each broken set-up (a missing template, no
#	key, a key only root can read, a store owned by root, a socket
#	whose directory cannot be made, an unknown [milter] user) --check
#	must exit 78; where start-up stops on a configuration error, it must
#	exit 78 too with the very same "configuration error: ..." line.
#	A good set-up passes --check and then starts. Runs as root (the
#	milter switches to [milter] user), under $SG_TEST_ROOT/check.

set -u
SG_SRCDIR=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/e2e/lib.sh
. "$SG_SRCDIR/tests/e2e/lib.sh"
[ "$(id -u)" = 0 ] || die "needs root ([milter] user)"
milter_built || die "no milter at $SG_MILTER"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
D=$SG_TEST_ROOT/check
rm -rf "$D"
mkdir -p "$D"
chmod 755 "$SG_TEST_ROOT" "$D"
sg_ensure_user
MPID=""
trap '[ -n "$MPID" ] && kill -TERM "$MPID" 2>/dev/null; wait 2>/dev/null' EXIT

# fresh NAME: a complete, good set-up in $D/NAME (conf at $D/NAME/c.conf)
fresh() {
	local b=$D/$1
	mkdir -p "$b/keys" "$b/db" "$b/spool" "$b/tpl"
	cp -R "$SG_SRCDIR/conf/templates/ja" "$SG_SRCDIR/conf/templates/en" "$b/tpl/"
	chown "$SG_MILTER_USER:" "$b/keys" "$b/db" "$b/spool"
	chmod 700 "$b/keys"
	cat >"$b/c.conf" <<-CONF
	[policy]
	internal_domains = example.lg.jp
	[rules]
	dir = $SG_SRCDIR/rules
	[milter]
	socket = unix:$b/sock/milter.sock
	user = $SG_MILTER_USER
	spool_dir = $b/spool
	pid_file =
	[store]
	path = $b/db/sendguard.db
	[notify]
	templates = $b/tpl
	from = sendguard@example.lg.jp
	[keys]
	dir = $b/keys
	[approvers]
	default = security-officer@example.lg.jp
	CONF
	# Nothing but `store init` creates the store (issue 15).
	"$SG_CTL" -c "$b/c.conf" store init >"$b/store-init.out" 2>&1 ||
		die "store init failed: $(cat "$b/store-init.out")"
	head -c 32 /dev/urandom | base64 >"$b/keys/20261123T000000Z"
	chown "$SG_MILTER_USER:" "$b/keys/20261123T000000Z"
	chmod 600 "$b/keys/20261123T000000Z"
	B=$b
}
# set KEY VALUE in $B/c.conf (first "KEY =" line)
setconf() { sed -i "0,/^$1 = .*/s||$1 = $2|" "$B/c.conf"; }

# check_out: --check; CK_RC, CK_ERR (its "configuration error" line)
run_check() {
	"$SG_MILTER" -c "$B/c.conf" --check >"$B/check.out" 2>"$B/check.err"
	CK_RC=$?
	CK_ERR=$(grep -m1 'configuration error' "$B/check.err")
}
# run_start: start-up in the foreground until it stops or listens;
# ST_RC (empty when it was still running after 20 s), ST_ERR.
run_start() {
	"$SG_MILTER" -c "$B/c.conf" -f >"$B/start.err" 2>&1 &
	MPID=$!
	ST_RC=""
	for _ in $(seq 1 100); do
		kill -0 "$MPID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$MPID" 2>/dev/null; then
		kill -TERM "$MPID"
		wait "$MPID" 2>/dev/null
	else
		wait "$MPID"
		ST_RC=$?
	fi
	MPID=""
	ST_ERR=$(grep -m1 'configuration error' "$B/start.err")
}
sanitizer_clean() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$B"/*.err
}

# broken NAME: --check and start-up both stop with 78 and the same line
same_refusal() {
	local what=$1
	run_check
	run_start
	if [ "$CK_RC" = 78 ] && [ "$ST_RC" = 78 ] && [ -n "$CK_ERR" ] && [ "$CK_ERR" = "$ST_ERR" ]; then
		ok "$what: --check and start-up both exit 78: ${CK_ERR#sendguard-milter: }"
	else
		nok "$what: --check rc=$CK_RC ($CK_ERR), start-up rc=${ST_RC:-running} ($ST_ERR)"
	fi
	check "$what: no sanitizer report" sanitizer_clean
}
# check_refuses NAME PATTERN: --check exits 78 naming PATTERN, and
# start-up does not run either
check_refuses() {
	local what=$1 pat=$2
	run_check
	run_start
	if [ "$CK_RC" = 78 ] && printf '%s' "$CK_ERR" | grep -q -- "$pat" && [ -n "$ST_RC" ] && [ "$ST_RC" != 0 ]; then
		ok "$what: --check exits 78 (${CK_ERR#sendguard-milter: }); start-up exits $ST_RC"
	else
		nok "$what: --check rc=$CK_RC ($CK_ERR), start-up rc=${ST_RC:-running}: $(tail -2 "$B/start.err")"
	fi
}

fresh good
run_check
check "a good set-up passes --check" [ "$CK_RC" = 0 ]
created_nothing() { [ ! -e "$B/sock" ]; }
check "--check created no socket" created_nothing
run_start
check "and then starts (still running after 20 s)" [ -z "$ST_RC" ]
check "--check and start-up: no sanitizer report" sanitizer_clean

fresh no-template
rm "$B/tpl/en/approval_request.txt"
same_refusal "a missing template"

fresh bad-template-dir
setconf templates "$B/no-such-dir"
same_refusal "a missing template directory"

fresh no-key
rm "$B/keys/"*
same_refusal "no key"

fresh root-key
chown root: "$B/keys/20261123T000000Z"
same_refusal "a key only root can read (checked as [milter] user)"

fresh bad-rules
setconf dir "$B/no-rules"
same_refusal "a missing rules directory"

fresh root-store
chown root: "$B/db/sendguard.db"
check_refuses "a store owned by root" "belongs to root"

fresh store-dir
setconf path "$B/no-such-dir/sendguard.db"
check_refuses "a store whose directory does not exist" "store init"

fresh no-store
rm -f "$B/db/sendguard.db"
check_refuses "a store that does not exist (start-up never creates one)" "does not exist: sendguardctl store init"
check "and neither --check nor start-up created it" [ ! -e "$B/db/sendguard.db" ]

fresh socket-dir
setconf socket "unix:$B/no/such/milter.sock"
check_refuses "a socket whose directory's parent does not exist" "does not exist"

fresh socket-syntax
setconf socket "inet:notaport@127.0.0.1"
check_refuses "an inet socket without a port" "socket"

fresh no-user
setconf user "sg-no-such-user"
run_check
check "an unknown [milter] user: --check fails" [ "$CK_RC" != 0 ]
check "and names the user" grep -q 'sg-no-such-user does not exist' "$B/check.err"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
