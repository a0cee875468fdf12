#!/bin/bash
#
# tests/miltertest/run.sh - milter-protocol tests with miltertest (Lua).
#
# Starts build/test/sendguard-milter (or $SG_MILTER) on a loopback port
# with a test configuration ([actions] exposed-recipients = bcc,
# [milter] memory_limit = 64K so that a 300 KB body is spooled, notices
# off: no Postfix here), runs every tests/miltertest/*.lua but
# common.lua, and checks afterwards what only the store can show (the
# hold record of hold.lua's queue id) and that the milter stopped
# cleanly on SIGTERM without a sanitizer report.
#
# Output: one line per assertion, then "N passed, M failed" alone as the
# last line; exit status non-zero when anything failed.
#   SG_MT_ONLY=hold,bcc   run only these scripts

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

command -v miltertest >/dev/null || die "miltertest is not installed (make deps)"
milter_built || die "no milter at $SG_MILTER (make $SG_MILTER)"

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

milter_setup "actions.exposed-recipients=bcc" "milter.memory_limit=64K" \
	"notify.notify_sender=no" "notify.notify_approvers=no" \
	"limits.max_message_size=512K"
# Sender groups for groups.lua (no other script sends as itaku-* or soudan-*).
cat >>"$SG_MDIR/sendguard.conf" <<EOF

[group.contractors]
senders = itaku-*@$SG_INTERNAL
classified = reject

[group.helpdesk]
senders = soudan-*@$SG_INTERNAL
classified = accept

# First match wins: itaku-01 is a contractor (reject) above, never this.
[group.itaku-lax]
senders = itaku-01@$SG_INTERNAL
classified = accept

# limits.lua: a group allowed larger mail than the defaults (512K here).
[group.bigmail]
senders = ookii-*@$SG_INTERNAL
max_message_size = 2M
EOF
echo "# miltertest: slot $SG_BASE, milter $SG_MILTER on $SG_MILTER_LM"
milter_start || { nok "the milter starts"; echo "$PASS passed, $FAIL failed"; exit 1; }
ok "the milter starts and listens on $SG_MILTER_LM"

sock="$SG_MILTER_LM"
scripts=$(ls "$here"/*.lua | grep -v -e '/common\.lua$' -e '/_[^/]*\.lua$')
if [ -n "${SG_MT_ONLY:-}" ]; then
	scripts=$(for s in ${SG_MT_ONLY//,/ }; do echo "$here/$s.lua"; done)
fi
for s in $scripts; do
	name=$(basename "$s" .lua)
	out=$SG_BASE/mt-$name.out
	echo "# $name.lua"
	timeout 300 miltertest -D "sock=$sock" -D "srcdir=$SG_SRCDIR" -D "script=$name" \
		-s "$here/_run.lua" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   - "*) ok "$name: ${line#ok   - }" ;;
		"FAIL - "*) nok "$name: ${line#FAIL - }" ;;
		esac
	done <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL - ' "$out"; then
		# the script stopped before its assertions (a protocol error)
		nok "$name: miltertest exit $rc: $(grep -v '^ok   - ' "$out" | tail -3 | tr '\n' ' ')"
	fi
	if ! kill -0 "$SG_MILTER_PID" 2>/dev/null; then
		nok "$name: the milter died; its stderr:"
		tail -20 "$SG_MDIR/stderr.log" | sed 's/^/     # /'
		milter_start || break
	fi
done

# What only the store can show: hold.lua's message has a hold tied to
# its queue id, with the id that went into X-Sendguard-Hold. It stays
# arriving: miltertest is no MTA and commits no queue file, so nothing
# confirms it and nobody is asked (issue 15).
if [ -f "$SG_BASE/mt-hold.out" ]; then
	hid=$(sed -n 's/^hold-id: //p' "$SG_BASE/mt-hold.out")
	row=$(sg_sql "SELECT id, status FROM holds WHERE queue_id = 'MTHOLD0001';")
	check "store: queue id MTHOLD0001 has an arriving hold with the header's id ($row)" \
		[ "$row" = "$hid|arriving" ]
	n=$(sg_sql "SELECT count(*) FROM holds WHERE queue_id IN ('MTBCC0001','MTREJ0001','MTABORT0002');")
	check "store: no hold for the rewritten, rejected or aborted-then-clean messages" [ "$n" = 0 ]
	n=$(sg_sql "SELECT count(*) FROM holds WHERE queue_id LIKE 'MTFORGE%';")
	check "store: the five forged notices were held ($n holds)" [ "$n" = 5 ]
fi

# check and the milter agree per group: the same mail through
# `sendguardctl check --from [--auth]` (exit 2 reject, 0 accept, 1 hold).
if [ -f "$SG_BASE/mt-groups.out" ]; then
	eml=$SG_BASE/groups.eml
	printf 'From: x\r\nTo: t.yamada@sakura-sys.example\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n' \
		'【機密性2】委託業務の仕様書について' '株式会社さくらシステム 山田様' >"$eml"
	# FROM:LOGIN:EXIT:GROUP, in groups.lua's order (MTGRP0001...): the
	# group and verdict check --json prints are the ones the milter
	# logged for the same message (queue_id=MTGRP000N verdict=V ...
	# group=G); first match (itaku-lax), overrides and the defaults.
	n=0
	for c in "itaku-01@$SG_INTERNAL::2:contractors" "soudan-01@$SG_INTERNAL::0:helpdesk" \
		 "tanaka@$SG_INTERNAL:tanaka:1:" "itaku-01@$SG_INTERNAL:tanaka:1:" \
		 "itaku-01@$SG_INTERNAL:itaku-01:2:contractors"; do
		n=$((n + 1))
		from=${c%%:*}; rest=${c#*:}; auth=${rest%%:*}; rest=${rest#*:}
		want=${rest%%:*}; group=${rest#*:}
		j=$("$SG_CTL" -c "$SG_MDIR/sendguard.conf" check --json --from "$from" \
			${auth:+--auth "$auth"} --rcpt t.yamada@sakura-sys.example "$eml" 2>/dev/null)
		got=$?
		check "check agrees with the milter for $from${auth:+ (login $auth)}: exit $got, want $want" \
			[ "$got" = "$want" ]
		cv=$(echo "$j" | jq -r '"\(.verdict) \(.group // "")"')
		ml=$(grep -o "queue_id=MTGRP000$n verdict=[a-z]*.*" "$SG_MDIR/stderr.log" | head -1)
		mv=$(echo "$ml" | sed -n 's/.* verdict=\([a-z]*\).*/\1/p')
		mg=$(echo "$ml" | sed -n 's/.* group=\([^ ]*\).*/\1/p')
		check "check --json ($cv) and the milter's log ($mv ${mg}) agree, group '${group}'" \
			[ "$cv/$mg" = "$mv $mg/$group" ]
	done
fi

milter_stop
check "the milter stops on SIGTERM with status 0 (got $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
if [ $FAIL -ne 0 ]; then
	echo "# the milter's stderr ($SG_MDIR/stderr.log), last lines:"
	tail -25 "$SG_MDIR/stderr.log" | sed 's/^/     # /'
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
