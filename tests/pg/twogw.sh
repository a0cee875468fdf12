#!/bin/bash
#
# NAME
#	tests/pg/twogw.sh - two gateways, each a real Postfix with its own
#	queue and milter, on one PostgreSQL store (issue 20 item 4)
# DESCRIPTION
#	A private PostgreSQL (tests/pg/lib.sh) and two private Postfix
#	instances (tests/e2e/lib.sh slots), gateways gw-a and gw-b, each
#	with its own smtp-sink and milter ([store] backend = postgresql,
#	gateway = gw-a / gw-b); one approval page (sendguard-web with
#	gw-a's configuration) for both. Checked:
#	  - mail with an xlsx held on each gateway: each hold records its
#	    own gateway, sits in its own Postfix's hold queue, and both are
#	    listed from gw-a's host;
#	  - gw-a's page shows gw-b's hold with its gateway, offers no
#	    download of its attachment and refuses one asked for (409);
#	  - gw-b goes down (its milter and Postfix stopped); its hold is
#	    approved on the one page (the link in the approver's notice
#	    that gw-b sent) and gw-a's with sendguardctl; gw-a's apply
#	    releases gw-a's mail only and leaves gw-b's hold approved and
#	    not carried out (exit 0); gw-a's reconcile leaves it alone too;
#	  - gw-b comes back; its apply releases its mail;
#	  - each held mail delivered exactly once, by its own gateway, and
#	    a second apply on each delivers nothing more;
#	  - four milters writing at once: each gateway has a second milter
#	    process (its own socket and spool) behind a second listener of
#	    its Postfix; clean mail sent to both listeners of both gateways
#	    from several sessions at the same time, each message delivered
#	    once and recorded once (one verdict record per queue id), and
#	    the audit chain verifies after it;
#	  - no sanitizer report from either milter or the page.
#	Output: one line per assertion, "N passed, M failed" last.
# ENVIRONMENT
#	SG_MILTER, SG_CTL, SG_WEB, SG_SRCDIR, SG_TEST_ROOT; SG_TWOGW_MAILS
#	(clean mails per session, 6) and SG_TWOGW_SESSIONS (per gateway, 4).

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"
mail=$here/../e2e/mail
NMAIL=${SG_TWOGW_MAILS:-6}
NSESS=${SG_TWOGW_SESSIONS:-4}

for t in postfix smtp-sink swaks jq postqueue psql curl base64; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
SG_WEB=${SG_WEB:-$(dirname "$SG_MILTER")/sendguard-web}
[ -x "$SG_WEB" ] || die "no sendguard-web at $SG_WEB"

# --- two slots: the lib's state is one slot's; keep each gateway's -------
GWVARS="SG_SLOT SG_BASE SG_PFDIR SG_SPOOL SG_SINK SG_MDIR SG_GW_PORT SG_PLAIN_PORT
	SG_RELAY_PORT SG_SINK_PORT SG_MILTER_PORT SG_SINK_PID SG_MILTER_PID SG_PF_STARTED
	SG_MILTER_SOCK SG_MILTER_PF SG_MILTER_LM"
declare -A GW
gw_save() { local v; for v in $GWVARS; do GW[$1.$v]=${!v:-}; done; }
gw_use() { local v; for v in $GWVARS; do printf -v "$v" '%s' "${GW[$1.$v]:-}"; done; }
gw_fresh() { local v; for v in $GWVARS; do printf -v "$v" '%s' ""; done; SG_PF_STARTED=0; }

WEB_PID=""
cleanup() {
	local rc=$? g
	trap - EXIT INT TERM
	[ -n "$WEB_PID" ] && { kill -TERM "$WEB_PID" 2>/dev/null; wait "$WEB_PID" 2>/dev/null; }
	for g in a b; do
		[ -n "${GW[$g.SG_BASE]:-}" ] || continue
		gw_use "$g"
		milter2_stop "$g" >/dev/null 2>&1
		milter_stop >/dev/null 2>&1
		pf_stop >/dev/null 2>&1
		sink_stop >/dev/null 2>&1
		: >"$SG_BASE/state"
	done
	pg_cleanup
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_setup || die "cannot start PostgreSQL"
sg_ensure_user
pg_passfile "$SG_MILTER_USER"
ok "private PostgreSQL on 127.0.0.1:$PG_PORT"

sg_pick_port WEB_PORT
BASE_URL=http://127.0.0.1:$WEB_PORT
SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
KACHO=security-officer@$SG_INTERNAL

# gw_up G: a slot, Postfix, sink and milter for gateway gw-G.
gw_up() {
	gw_fresh
	# the first slot's lock stays held by fd 7 while the second is taken
	[ "$1" = b ] && exec 7>&9
	sg_take_slot e2e1 e2e2 e2e3 e2e4
	sg_state driver_pid $$
	pf_setup
	milter_setup "store.backend=postgresql" "store.dsn=$PG_DSN" "store.gateway=gw-$1" \
		"web.base_url=$BASE_URL" "web.listen=127.0.0.1:$WEB_PORT"
	# One signing key for every gateway (README, two gateways): the page
	# checks the links in any gateway's notices.
	if [ "$1" = b ]; then
		rm -f "$SG_MDIR"/keys/*
		cp -p "${GW[a.SG_MDIR]}"/keys/* "$SG_MDIR/keys/"
	fi
	sink_start
	pf_start
	milter_start || die "gw-$1: the milter did not start: $(tail -5 "$SG_MDIR/stderr.log")"
	mkdir -p "$SG_BASE/mail"
	gw_save "$1"
	milter2_start "$1"
}
# milter2_start G: a second milter process of gateway G (its own socket
# and spool, the same store, gateway name and keys) behind Postfix's
# "plain" listener, so that two milters per gateway write at once.
milter2_start() {
	local g=$1 port conf
	gw_use "$g"
	sg_pick_port port
	conf=$SG_MDIR/sendguard2.conf
	mkdir -p "$SG_MDIR/spool2"
	chown "$SG_MILTER_USER:" "$SG_MDIR/spool2"
	chmod 700 "$SG_MDIR/spool2"
	sed -e "s|^socket = .*|socket = inet:$port@127.0.0.1|" \
	    -e "s|^spool_dir = .*|spool_dir = $SG_MDIR/spool2|" "$SG_MDIR/sendguard.conf" >"$conf"
	chmod 644 "$conf"
	local n0
	n0=$(grep -c " listening on " "$SG_MDIR/stderr2.log" 2>/dev/null)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		"$SG_MILTER" -c "$conf" -f >>"$SG_MDIR/stderr2.log" 2>&1 9>&- 7>&- &
	GW[$g.M2_PID]=$!
	sg_state milter_pid "${GW[$g.M2_PID]}"
	# Up when it says so (lib.sh milter_ready: the socket listens
	# before the store is open).
	wait_for 20 eval '[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ] &&
		[ "$(grep -c " listening on " "$SG_MDIR/stderr2.log")" -gt "${n0:-0}" ]' ||
		die "gw-$g: the second milter does not listen: $(tail -5 "$SG_MDIR/stderr2.log")"
	postconf -c "$SG_PFDIR" -P "127.0.0.1:$SG_PLAIN_PORT/inet/smtpd_milters=inet:127.0.0.1:$port"
	postfix -c "$SG_PFDIR" reload >/dev/null 2>&1
}
milter2_stop() {
	local pid=${GW[$1.M2_PID]:-} i=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	M2_RC=$?
	GW[$1.M2_PID]=""
}
gw_up a
gw_up b
ok "two gateways up: gw-a (slot ${GW[a.SG_SLOT]}), gw-b (slot ${GW[b.SG_SLOT]})"
CONF_A=${GW[a.SG_MDIR]}/sendguard.conf
CONF_B=${GW[b.SG_MDIR]}/sendguard.conf
CTL_A() { "$SG_CTL" -c "$CONF_A" "$@"; }
CTL_B() { "$SG_CTL" -c "$CONF_B" "$@"; }

"$SG_WEB" -c "$CONF_A" -f >>"${GW[a.SG_MDIR]}/web.log" 2>&1 9>&- 7>&- &
WEB_PID=$!
wait_for 20 eval '[ -n "$(ss -Htln "sport = :$WEB_PORT" 2>/dev/null)" ]' ||
	die "sendguard-web does not listen: $(tail -5 "${GW[a.SG_MDIR]}/web.log")"

# --- helpers over both gateways -----------------------------------------
# sink_n G ID: messages with X-E2E-Id ID in gateway G's sink.
sink_n() { grep -rlx "X-E2E-Id: $2" "${GW[$1.SG_SINK]}" 2>/dev/null | grep -c .; }
hold_of() { pg_sql "SELECT id FROM holds WHERE queue_id = '$1';"; }
col_of() { pg_sql "SELECT $2 FROM holds WHERE id = '$1';"; }
status_is() { [ "$(pg_sql "SELECT status || '/' || applied FROM holds WHERE id = '$1';")" = "$2" ]; }
# send G ID FIXTURE: one SMTP transaction to gateway G; sets QID.
send() {
	gw_use "$1"
	{ echo "X-E2E-Id: $2"; cat "$mail/$3"; } >"$SG_BASE/mail/$2.eml"
	swaks --server 127.0.0.1 --port "$SG_GW_PORT" --helo client.sendguard.test \
		--from "$SENDER" --to "$VENDOR" --data "@$SG_BASE/mail/$2.eml" --timeout 120 \
		--suppress-data >"$SG_BASE/swaks-$2.txt" 2>&1
	QID=$(swaks_qid "$SG_BASE/swaks-$2.txt")
}
in_hold_queue() {
	[ "$(postqueue -c "${GW[$1.SG_PFDIR]}" -j 2>/dev/null |
		jq -r --arg q "$2" 'select(.queue_id == $q) | .queue_name')" = hold ]
}

# --- a hold on each gateway ------------------------------------------------
send a held-a demo3_xlsx.eml; QA=$QID
send b held-b demo3_xlsx.eml; QB=$QID
wait_for 20 eval '[ -n "$(hold_of "$QA")" ] && [ -n "$(hold_of "$QB")" ]'
HA=$(hold_of "$QA") HB=$(hold_of "$QB")
check "a hold on each gateway ($HA, $HB)" eval '[ -n "$HA" ] && [ -n "$HB" ]'
check "each hold records its own gateway" \
	eval '[ "$(col_of "$HA" gateway)" = gw-a ] && [ "$(col_of "$HB" gateway)" = gw-b ]'
check "each mail is in its own Postfix's hold queue" \
	eval 'in_hold_queue a "$QA" && in_hold_queue b "$QB" && ! in_hold_queue a "$QB" && ! in_hold_queue b "$QA"'
check "both confirmed pending" wait_for 30 eval 'status_is "$HA" pending/0 && status_is "$HB" pending/0'
check "list --json on gw-a's host shows both, with their gateways" \
	[ "$(CTL_A list --json | jq -r --arg a "$HA" --arg b "$HB" \
		'[.[] | select((.id == $a and .gateway == "gw-a") or (.id == $b and .gateway == "gw-b"))] | length')" = 2 ]
check "gw-b's approver notice reached gw-b's sink" wait_for 30 eval '[ -n "$(sg_notice_link "${GW[b.SG_SINK]}" "$BASE_URL" "$HB" "$KACHO")" ]'

# --- the one page: gw-b's hold on gw-a's page ------------------------------
# Its attachments are in gw-b's queue: no download button there, and a
# download asked for anyway is refused (README, Gateways).
LINK=$(sg_notice_link "${GW[b.SG_SINK]}" "$BASE_URL" "$HB" "$KACHO")
curl -s "$LINK" >"$SG_TEST_ROOT/twogw-page.html"
check "gw-a's page shows gw-b's hold with its gateway and no download button" eval \
	'grep -q "gw-b" "$SG_TEST_ROOT/twogw-page.html" &&
	 ! grep -q "value=\"download\"" "$SG_TEST_ROOT/twogw-page.html"'
code=$(sg_page_post "$LINK" "$SG_TEST_ROOT/twogw-dl.html" download "path=令和7年度_特定健診_対象者名簿.xlsx")
check "a download of gw-b's attachment asked on gw-a's page is refused (HTTP $code)" \
	eval '[ "$code" = 409 ] && grep -q "別のゲートウェイ" "$SG_TEST_ROOT/twogw-dl.html"'

# --- gw-b down; both decided; gw-a carries out its own only ------------------
gw_use b; milter2_stop b; milter_stop; pf_stop; gw_save b
ok "gw-b is down (its milters and Postfix stopped)"
code=$(sg_page_post "$LINK" "$SG_TEST_ROOT/twogw-post.html" approve comment= check{1..8}=1)
check "gw-b's hold approved on the one page (HTTP $code)" eval '[ "$code" = 200 ] || [ "$code" = 303 ]'
rc CTL_A approve "$HA" --checked all --by "$KACHO" --comment "確認しました"
check "gw-a's hold approved with sendguardctl (exit $RC)" [ "$RC" = 0 ]
rc CTL_A apply
check "gw-a's apply exits 0 with gw-b down: $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "gw-a's mail is delivered by gw-a" wait_for 30 eval '[ "$(sink_n a held-a)" = 1 ]'
check "gw-b's hold stays approved, not carried out" status_is "$HB" approved/0
rc CTL_A reconcile
check "gw-a's reconcile exits 0 and leaves gw-b's hold alone" \
	eval '[ "$RC" = 0 ] && status_is "$HB" approved/0'

# --- gw-b back --------------------------------------------------------------
gw_use b; pf_start; milter_start || die "gw-b: the milter did not restart"; gw_save b
milter2_start b
rc CTL_B apply
check "gw-b back: its apply exits 0: $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "gw-b's mail is delivered by gw-b" wait_for 30 eval '[ "$(sink_n b held-b)" = 1 ]'
check "both holds applied" eval 'status_is "$HA" approved/1 && status_is "$HB" approved/1'
rc CTL_A apply; rc CTL_B apply
sleep 3
check "each held mail delivered exactly once, by its own gateway only" \
	[ "$(sink_n a held-a)$(sink_n b held-b)$(sink_n a held-b)$(sink_n b held-a)" = 1100 ]

# --- both milters writing at once -------------------------------------------
# session G S: NMAIL clean messages over one SMTP connection after another.
session() {
	local g=$1 s=$2 i port=${GW[$1.SG_GW_PORT]} dir=${GW[$1.SG_BASE]}/mail
	# every other session through the listener of the second milter
	[ $((s % 2)) = 0 ] && port=${GW[$1.SG_PLAIN_PORT]}
	for i in $(seq 1 "$NMAIL"); do
		{ echo "X-E2E-Id: load-$g-$s-$i"; cat "$mail/demo1_clean.eml"; } >"$dir/load-$s-$i.eml"
		swaks --server 127.0.0.1 --port "$port" --helo client.sendguard.test \
			--from "$SENDER" --to "$VENDOR" --data "@$dir/load-$s-$i.eml" --timeout 120 \
			--suppress-data >"$dir/swaks-load-$s-$i.txt" 2>&1
	done
}
pids=""
for s in $(seq 1 "$NSESS"); do
	session a "$s" & pids="$pids $!"
	session b "$s" & pids="$pids $!"
done
for p in $pids; do wait "$p"; done
qids=$(for g in a b; do for f in "${GW[$g.SG_BASE]}"/mail/swaks-load-*.txt; do swaks_qid "$f"; done; done | sort -u)
n=$((2 * NSESS * NMAIL))
check "both gateways accepted all $n messages sent at once" [ "$(echo "$qids" | grep -c .)" = "$n" ]
all_in() {
	local g s i
	for g in a b; do for s in $(seq 1 "$NSESS"); do for i in $(seq 1 "$NMAIL"); do
		[ "$(sink_n "$g" "load-$g-$s-$i")" = 1 ] || return 1
	done; done; done
}
check "each delivered exactly once by the gateway it was sent to" wait_for 60 all_in
inlist=$(echo "$qids" | sed "s/.*/'&'/" | paste -sd,)
recorded() {
	[ "$(pg_sql "SELECT count(*) FROM audit WHERE event = 'verdict' AND queue_id IN ($inlist);")" = "$n" ] &&
	[ "$(pg_sql "SELECT count(DISTINCT queue_id) FROM audit WHERE event = 'verdict' AND queue_id IN ($inlist);")" = "$n" ]
}
check "one verdict record per message from the four milters (no record lost or doubled)" wait_for 30 recorded
# (mail through the second listener is recorded only if its milter saw
# it: the count above is the proof that all four took part)
second_attached() {
	postconf -c "${GW[$1.SG_PFDIR]}" -P "127.0.0.1:${GW[$1.SG_PLAIN_PORT]}/inet/smtpd_milters" |
		grep -q "inet:127.0.0.1:"
}
check "each gateway's second listener goes through its second milter" \
	eval 'second_attached a && second_attached b'

rc CTL_B audit verify
check "the audit chain verifies after both milters wrote at once: $OUT" \
	eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q intact'

# --- clean ends --------------------------------------------------------------
kill -TERM "$WEB_PID" 2>/dev/null; wait "$WEB_PID" 2>/dev/null; WEB_PID=""
for g in a b; do
	gw_use "$g"
	milter_stop
	milter2_stop "$g"
	check "gw-$g's two milters stop cleanly (exit $MILTER_RC, $M2_RC)" eval '[ "$MILTER_RC" = 0 ] && [ "$M2_RC" = 0 ]'
	check "gw-$g: no sanitizer report" eval 'milter_sanitizer_clean && ! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/stderr2.log"'
	gw_save "$g"
done
check "the page: no sanitizer report" eval '! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "${GW[a.SG_MDIR]}/web.log"'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
