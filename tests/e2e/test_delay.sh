#!/bin/bash
#
# tests/e2e/test_delay.sh - delayed send (送信ディレイ, issue 19 item 3) and
# `sendguardctl apply --daemon` on a real Postfix (tests/e2e/lib.sh),
# relaying to smtp-sink. The group "delayed" (sato-h@) has delay = 20s;
# everyone else has none. Checked:
#   - check --json and the milter agree: the group's clean external mail
#     has "delay": 20, a held mail and another sender's mail have 0;
#   - clean external mail of the group is held as a hold of kind delay
#     (list --json kind/release), is not at the sink after 5 s, and is
#     there within 10 s after its delay ends, by apply --daemon alone;
#     the sender got the delay notice (audit: notice delay_sender);
#   - another sender's mail is not delayed;
#   - "send now" (release --by the sender) delivers at once; an approver
#     cannot use it; "cancel" (withdraw --by the sender) deletes it,
#     never delivered;
#   - a mail held for approval refuses its sender's release (exit 1) and
#     is never released by a delay;
#   - on the approval page (sendguard-web, the sender's link from her
#     notice): send now of a hold for approval is 403 and changes
#     nothing; send now of a delayed mail (the delay notice's link)
#     delivers it at once;
#   - apply --daemon killed during a delay, the delay ends while it is
#     down: restarted, the mail leaves late, with a log line, once; the
#     milter restarted during a delay loses nothing;
#   - send now, end of delay, cancel and an administrator's reject racing
#     at the moment the delay ends: exactly one outcome is recorded and
#     carried out;
#   - mode = monitor: the delay is logged, not applied;
#   - a delayed mail that left has an audit record "sent" (by delay or
#     send-now, late_s); with [notify] notify_sent = late (the default)
#     only the late one's sender gets the sent_sender notice;
#   - SIGHUP: a bad configuration is logged with file:line and key and
#     the old one kept (the daemon goes on releasing); a good one is
#     taken (notify_sent = yes: send now brings a sent_sender notice);
#   - a hold the MTA refuses (its queue id names another hold's file):
#     logged and audited once, tried again with backoff, the other file
#     untouched; once the store is repaired a one-shot apply sends it;
#   - a delayed mail whose queue file was removed by hand: closed as
#     expired at the end of its delay, not "sent", never retried;
#   - private-recipient through the milter: a roster to a gmail.com
#     address is held with private-recipient and personal-data, the same
#     roster to a partner company with personal-data only; the milter's
#     categories are check --json's for the same envelope;
#   - nothing is delivered twice; no sanitizer report.
# Output: one line per assertion, "N passed, M failed" last.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in postfix smtp-sink swaks sqlite3 jq postcat postqueue postsuper curl base64; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$

SENDER=sato-h@$SG_INTERNAL
OTHER=tanaka@$SG_INTERNAL
VENDOR=t.yamada@sakura-sys.example
KACHO=kacho@$SG_INTERNAL
M=$SG_BASE/mail
mkdir -p "$M"
DELAY=20

SG_WEB=${SG_WEB:-$(dirname "$SG_MILTER")/sendguard-web}
[ -x "$SG_WEB" ] || die "no sendguard-web at $SG_WEB"
WEB_PID=""
web_stop() {
	[ -n "$WEB_PID" ] || return 0
	kill -TERM "$WEB_PID" 2>/dev/null
	wait "$WEB_PID" 2>/dev/null
	WEB_PID=""
}
APPLYD_PID=""
applyd_start() {
	"$SG_CTL" -c "$(milter_conf)" apply --daemon >>"$SG_BASE/applyd.log" 2>&1 9>&- &
	APPLYD_PID=$!
	sg_state applier_pid "$APPLYD_PID"
}
applyd_stop() {
	[ -n "$APPLYD_PID" ] || return 0
	kill -"${1:-TERM}" "$APPLYD_PID" 2>/dev/null
	wait "$APPLYD_PID" 2>/dev/null
	APPLYD_PID=""
}
# sg_cleanup exits with the status it finds in $?: keep the script's.
cleanup() { local rc=$?; applyd_stop; web_stop; (exit "$rc"); sg_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pf_setup
sg_pick_port WEB_PORT
BASE_URL=http://127.0.0.1:$WEB_PORT
milter_setup "web.base_url=$BASE_URL" "web.listen=127.0.0.1:$WEB_PORT"
cat >>"$(milter_conf)" <<EOF

[release]
command_timeout = 30s

[group.delayed]
senders = $SENDER
delay = ${DELAY}s
EOF
sink_start
pf_start
milter_start || die "milter did not start"
CONF=$(milter_conf)
CTL() { "$SG_CTL" -c "$CONF" "$@"; }
"$SG_WEB" -c "$CONF" -f >>"$SG_MDIR/web.log" 2>&1 9>&- &
WEB_PID=$!
sg_state web_pid "$WEB_PID"
wait_for 20 eval '[ -n "$(ss -Htln "sport = :$WEB_PORT" 2>/dev/null)" ]' ||
	die "sendguard-web does not listen on $WEB_PORT: $(tail -5 "$SG_MDIR/web.log")"

# clean NAME [FROM]: a clean mail to the vendor (demo1) with X-E2E-Id:
# dl-NAME; sets QID, HID (empty when not held) and SENT_T.
clean() {
	{ echo "X-E2E-Id: dl-$1"; cat "$here/mail/demo1_clean.eml"; } >"$M/$1.eml"
	SENT_T=$(date +%s)
	sg_swaks "$SG_GW_PORT" "${2:-$SENDER}" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
}
held() {
	{ echo "X-E2E-Id: dl-$1"; cat "$here/mail/demo3_xlsx.eml"; } >"$M/$1.eml"
	sg_swaks "$SG_GW_PORT" "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
}
sink_n() { grep -rlx "X-E2E-Id: dl-$1" "$SG_SINK" 2>/dev/null | grep -c .; }
# sent_by HID: the "by" of its audit record "sent" (empty: none)
sent_by() { sg_sql "SELECT group_concat(json_extract(detail, '$.by')) FROM audit WHERE event = 'sent' AND hold_id = '$1';"; }
# sg_sql_rw SQL: a hand edit of the store, as its owner (a hand repair
# or a bad restore; sg_sql is read-only)
sg_sql_rw() { runuser -u "$SG_MILTER_USER" -- sqlite3 -batch -cmd ".timeout 10000" "$SG_MDIR/db/sendguard.db" "$1"; }
# sent_notices HID: sent_sender notices recorded for it
sent_notices() { sg_sql "SELECT count(*) FROM outbox WHERE hold_id = '$1' AND kind = 'sent_sender';"; }
delivered() { [ "$(sink_n "$1")" -ge 1 ]; }
release_t() { sg_sql "SELECT release_t FROM holds WHERE id = '$1';"; }
kind_of() { sg_sql "SELECT kind FROM holds WHERE id = '$1';"; }
settle() { wait_for "${1:-30}" pf_queue_settled; sleep 1; }
# sleep_until T: sleep until the Unix time T (no sleep when past)
sleep_until() { local d=$(($1 - $(date +%s))); [ "$d" -gt 0 ] && sleep "$d"; return 0; }
# the seconds from the end of the delay to the sink file's arrival
late_by() {
	local f
	f=$(grep -rlx "X-E2E-Id: dl-$1" "$SG_SINK" | head -1)
	echo $(($(stat -c %Y "$f") - $2))
}

# --- 0. check --json agrees with the milter ---------------------------------

J=$(CTL check --json --from "$SENDER" --rcpt "$VENDOR" "$here/mail/demo1_clean.eml")
check "check --json: the group's clean external mail: accept with delay $DELAY ($J)" \
	[ "$(echo "$J" | jq -r '"\(.verdict) \(.delay) \(.group)"')" = "accept $DELAY delayed" ]
J=$(CTL check --json --from "$OTHER" --rcpt "$VENDOR" "$here/mail/demo1_clean.eml")
check "check --json: another sender: delay 0" [ "$(echo "$J" | jq -r .delay)" = 0 ]
J=$(CTL check --json --from "$SENDER" --rcpt "$VENDOR" "$here/mail/demo3_xlsx.eml")
check "check --json: held mail of the group: hold, delay 0" \
	[ "$(echo "$J" | jq -r '"\(.verdict) \(.delay)"')" = "hold 0" ]

applyd_start

# --- 1. the delay: not before, within 10 s after -----------------------------

clean wait
check "delayed mail is held as kind delay (hold $HID)" [ "$(kind_of "$HID")" = delay ]
check "its release time is $DELAY s after it arrived" \
	eval '[ $(( $(release_t "$HID") - SENT_T )) -ge $((DELAY - 1)) ] && [ $(( $(release_t "$HID") - SENT_T )) -le $((DELAY + 2)) ]'
check "list --json: kind delay, release set" \
	[ "$(CTL list --json | jq -r --arg h "$HID" '.[] | select(.id == $h) | "\(.kind) \(.release != null) \(.approvers | length)"')" = "delay true 0" ]
C_UTC=$(CTL list --json | jq -r --arg h "$HID" '.[] | select(.id == $h) | .created')
C_JST=$(TZ=Asia/Tokyo date -d "$C_UTC" +%Y-%m-%dT%H:%M:%S+09:00)
check "list shows when it was held in the organisation's zone ($C_UTC is $C_JST)" \
	eval 'CTL list | grep "^$HID " | grep -qF " $C_JST "'
check "the milter logged the delay" grep -q "queue_id=$QID verdict=accept delay=${DELAY}s hold=$HID" "$SG_MDIR/stderr.log"
check "it sits in the hold queue" [ "$(pf_queue_name "$QID")" = hold ]
check "the sender is sent the delay notice" wait_for 20 eval \
	'[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'notice'"' AND hold_id = '"'$HID'"' AND detail LIKE '"'%delay_sender%'"';")" = 1 ]'
sleep_until $((SENT_T + 5))
check "not at the sink after 5 s" [ "$(sink_n wait)" = 0 ]
RT=$(release_t "$HID")
check "at the sink within 10 s after the delay, by apply --daemon alone" wait_for $((RT + 10 - $(date +%s))) delivered wait
note "delivered $(late_by wait "$RT") s after the end of its delay"
check "recorded as released by the delay, applied" \
	[ "$(sg_sql "SELECT status || '/' || applied || '/' || decided_by FROM holds WHERE id = '$HID';")" = "approved/1/delay" ]
check "audit: one delay-end" [ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'delay-end' AND hold_id = '$HID';")" = 1 ]
check "audit: sent, by the delay" wait_for 5 eval '[ "$(sent_by "$HID")" = delay ]'
check "the daemon logged that it was sent" grep -q "hold $HID: delayed mail sent (end of delay)" "$SG_BASE/applyd.log"
check "notify_sent = late (default): no sent notice for mail that left on time" [ "$(sent_notices "$HID")" = 0 ]
W_HID=$HID

# --- 2. other senders are not delayed ---------------------------------------

clean other "$OTHER"
check "another sender's mail is not held" [ -z "$HID" ]
check "and reaches the sink at once" wait_for 10 delivered other

# --- 3. send now, cancel -----------------------------------------------------

clean now
rc CTL release "$HID" --by "$KACHO"
check "send now by someone else than the sender is refused (exit 1)" [ "$RC" = 1 ]
T0=$(date +%s)
rc CTL release "$HID" --by "$SENDER"
check "send now by the sender (exit 0): $OUT" [ "$RC" = 0 ]
check "delivered at once (within 5 s, long before the delay)" wait_for 5 delivered now
note "send now took $(( $(date +%s) - T0 )) s"
check "audit: sent, by send-now" wait_for 5 eval '[ "$(sent_by "$HID")" = send-now ]'
check "notify_sent = late: no sent notice after send now" [ "$(sent_notices "$HID")" = 0 ]
rc CTL withdraw "$HID" --by "$SENDER"
check "a cancel after send now is refused (exit 1)" [ "$RC" = 1 ]

clean cancel
C_HID=$HID C_QID=$QID
rc CTL withdraw "$HID" --by "$SENDER"
check "cancel by the sender (exit 0)" [ "$RC" = 0 ]
check "the cancelled mail is deleted from the queue" wait_for 10 eval '[ -z "$(pf_queue_name "$C_QID")" ]'
rc CTL release "$C_HID" --by "$SENDER"
check "send now after a cancel is refused (exit 1)" [ "$RC" = 1 ]

# --- 4. held for approval: never released by its sender or a delay ---------

held approval
A_HID=$HID
check "held for approval: kind approval" [ "$(kind_of "$HID")" = approval ]
rc CTL release "$HID" --by "$SENDER"
check "the sender's send now is refused (exit 1): $OUT" [ "$RC" = 1 ]
check "and says it is held for approval" eval 'echo "$OUT" | grep -q "held for approval"'
check "it stays pending and on hold" \
	eval '[ "$(status_of "$A_HID")" = pending/0 ] && [ "$(pf_queue_name "$QID")" = hold ]'
A_LINK=""
check "the sender's hold notice has a page link" wait_for 30 eval 'A_LINK=$(sg_notice_link "$SG_SINK" "$BASE_URL" "$A_HID" "$SENDER"); [ -n "$A_LINK" ]'
check "on the page, the sender's send now of a hold for approval is 403" [ "$(sg_page_post "$A_LINK" "$SG_BASE/page-post.html" release comment=)" = 403 ]
check "because it is held for approval (not a bad form)" wait_for 5 \
	grep -q "refused release of hold $A_HID by its sender: held for approval" "$SG_MDIR/web.log"
check "and it stays pending and on hold" \
	eval '[ "$(status_of "$A_HID")" = pending/0 ] && [ "$(pf_queue_name "$QID")" = hold ]'

clean page
P_HID=$HID P_LINK=""
check "the delay notice has the page link" wait_for 30 eval 'P_LINK=$(sg_notice_link "$SG_SINK" "$BASE_URL" "$P_HID" "$SENDER"); [ -n "$P_LINK" ]'
check "on the page, the sender's send now of a delayed mail: 303" [ "$(sg_page_post "$P_LINK" "$SG_BASE/page-post.html" release comment=)" = 303 ]
check "sent at once from the page (within 5 s)" wait_for 5 delivered page

# --- 5. restarts during a delay lose nothing --------------------------------

clean restart
R_HID=$HID
applyd_stop KILL
milter_stop
sleep 2
milter_start || die "milter did not restart"
RT=$(release_t "$R_HID")
sleep_until $((RT + 12))
check "with apply --daemon down, the mail waits past its time" [ "$(sink_n restart)" = 0 ]
applyd_start
check "apply --daemon restarted: the late mail leaves" wait_for 10 delivered restart
check "with a log line saying how late" grep -q "hold $R_HID: delayed mail released .* s late" "$SG_BASE/applyd.log"
check "and a late_s in its audit record" \
	eval '[ "$(sg_sql "SELECT json_extract(detail, '"'$.late_s'"') >= 10 FROM audit WHERE event = '"'delay-end'"' AND hold_id = '"'$R_HID'"';")" = 1 ]'
check "audit: sent late (late_s >= 10)" wait_for 5 eval \
	'[ "$(sg_sql "SELECT json_extract(detail, '"'$.late_s'"') >= 10 FROM audit WHERE event = '"'sent'"' AND hold_id = '"'$R_HID'"';")" = 1 ]'
check "notify_sent = late: the late mail's sender is told it left (sent_sender sent)" wait_for 20 eval \
	'[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'notice'"' AND hold_id = '"'$R_HID'"' AND detail LIKE '"'%sent_sender%'"';")" = 1 ]'

# restart of both during the delay: it leaves on time
clean restart2
R2=$HID
sleep 3
applyd_stop TERM
milter_stop
milter_start || die "milter did not restart"
applyd_start
RT=$(release_t "$R2")
check "the milter and the daemon restarted during the delay: delivered in time" \
	wait_for $((RT + 10 - $(date +%s))) delivered restart2

# --- 5b. SIGHUP reloads apply --daemon's configuration ------------------------

cp "$CONF" "$SG_BASE/conf.good"
sed -i 's/^\[notify\]$/[notify]\nnotify_sent = maybe/' "$CONF"
LN=$(grep -n '^notify_sent = maybe' "$CONF" | cut -d: -f1)
kill -HUP "$APPLYD_PID"
check "SIGHUP with a bad file: logged with file:line and key, old one kept" wait_for 5 \
	grep -q "SIGHUP: configuration not reloaded, the previous one stays in use: $CONF:$LN: \[notify\] notify_sent" "$SG_BASE/applyd.log"
clean hup1
# (the command line reads the good copy: the file is broken meanwhile)
rc "$SG_CTL" -c "$SG_BASE/conf.good" release "$HID" --by "$SENDER"
check "the daemon goes on: send now delivered at once" wait_for 5 delivered hup1
check "the old notify_sent (late) still applies: no sent notice" eval 'sleep 1; [ "$(sent_notices "$HID")" = 0 ]'
sed 's/^\[notify\]$/[notify]\nnotify_sent = yes/' "$SG_BASE/conf.good" >"$CONF"
kill -HUP "$APPLYD_PID"
check "SIGHUP with a good file: reloaded" wait_for 5 grep -q "apply --daemon: configuration reloaded from $CONF" "$SG_BASE/applyd.log"
clean hup2
H2=$HID
rc CTL release "$HID" --by "$SENDER"
check "after the reload: send now delivered" wait_for 5 delivered hup2
check "notify_sent = yes (reloaded): the sender is told it left" wait_for 20 eval \
	'[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'notice'"' AND hold_id = '"'$H2'"' AND detail LIKE '"'%sent_sender%'"';")" = 1 ]'
check "apply --daemon is still the same process" kill -0 "$APPLYD_PID"
cp "$SG_BASE/conf.good" "$CONF"
kill -HUP "$APPLYD_PID"

# --- 5c. a hold the MTA refuses; a queue file removed by hand ----------------

# The store says the delayed mail's queue file is the approval hold's
# (a store restored from another day, a hand edit): its header names
# another hold, so nothing may be done to it.
clean refused
F_HID=$HID F_QID=$QID
A_QID=$(sg_sql "SELECT queue_id FROM holds WHERE id = '$A_HID';")
sg_sql_rw "UPDATE holds SET queue_id = '$A_QID' WHERE id = '$F_HID';" 
T0=$(date +%s)
rc CTL release "$F_HID" --by "$SENDER"
check "refused: logged once with the reason" wait_for 10 \
	grep -q "hold $F_HID: refused: .*does not carry X-Sendguard-Hold: $F_HID" "$SG_BASE/applyd.log"
check "refused: and when it is tried again" grep -q "hold $F_HID: not carried out, queue untouched (try 1); next try in 30 s" "$SG_BASE/applyd.log"
# Other mail goes on meanwhile, each one a pass of the daemon.
clean refused-other
rc CTL release "$HID" --by "$SENDER"
check "refused: other mail still leaves" wait_for 5 delivered refused-other
check "refused: not tried on every pass (one line in the first 10 s)" \
	[ "$(grep -c "hold $F_HID: refused" "$SG_BASE/applyd.log")" = 1 ]
check "refused: recorded once in the audit log" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'apply-note' AND hold_id = '$F_HID' AND detail LIKE '%refused, queue untouched%';")" = 1 ]
sleep_until $((T0 + 30))
check "refused: tried again after 30 s, then in 60 s" wait_for 10 grep -q "hold $F_HID: not carried out, queue untouched (try 2); next try in 60 s" "$SG_BASE/applyd.log"
check "refused: still one audit record after the retry" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'apply-note' AND hold_id = '$F_HID' AND detail LIKE '%refused, queue untouched%';")" = 1 ]
check "refused: the other hold's file is untouched, on hold" [ "$(pf_queue_name "$A_QID")" = hold ]
check "refused: its own file is still on hold, not sent" \
	eval '[ "$(pf_queue_name "$F_QID")" = hold ] && [ "$(sink_n refused)" = 0 ]'
check "refused: list --json says approved, not applied" \
	[ "$(CTL list --json | jq -r --arg h "$F_HID" '.[] | select(.id == $h) | "\(.status) \(.applied)"')" = "approved false" ]
# Repaired by hand: the next apply (here a one-shot) carries it out.
sg_sql_rw "UPDATE holds SET queue_id = '$F_QID' WHERE id = '$F_HID';" 
rc CTL apply
check "repaired: a one-shot apply sends it (exit $RC)" wait_for 10 delivered refused
check "repaired: audit sent" [ "$(sent_by "$F_HID")" = send-now ]

# A delayed mail whose file an administrator removed (postsuper -d):
# closed at the end of its delay as reconcile would, not "sent".
clean gone
G_HID=$HID
postsuper -c "$SG_PFDIR" -d "$QID" hold >/dev/null 2>&1
RT=$(release_t "$G_HID")
check "gone: closed as expired by the delay at its end" wait_for $((RT + 10 - $(date +%s))) eval \
	'[ "$(sg_sql "SELECT status || '"'/'"' || applied || '"'/'"' || decided_by FROM holds WHERE id = '"'$G_HID'"';")" = expired/1/delay ]'
check "gone: logged once" [ "$(grep -c "hold $G_HID: delayed mail not sent: its queue file" "$SG_BASE/applyd.log")" = 1 ]
check "gone: no sent record, no sent notice" eval '[ -z "$(sent_by "$G_HID")" ] && [ "$(sent_notices "$G_HID")" = 0 ]'
sleep 2
check "gone: never tried again" [ "$(grep -c "$G_HID" "$SG_BASE/applyd.log")" = 1 ]

# --- 6. the race of outcomes -------------------------------------------------

for i in 1 2 3; do
	clean race$i
	RH=$HID
	RT=$(release_t "$RH")
	# all about the moment the delay ends, the daemon racing too: each
	# round a little later, so that different contenders win
	sleep_until $((RT - 1))
	sleep "0.$((i * 3))"
	CTL release "$RH" --by "$SENDER" >"$SG_BASE/race$i-release.out" 2>&1 &
	P1=$!
	CTL withdraw "$RH" --by "$SENDER" >"$SG_BASE/race$i-withdraw.out" 2>&1 &
	P2=$!
	CTL reject "$RH" --by "$KACHO" --comment "race" >"$SG_BASE/race$i-reject.out" 2>&1 &
	P3=$!
	wait "$P1" "$P2" "$P3"
	wait_for 20 eval '[ "$(sg_sql "SELECT applied FROM holds WHERE id = '"'$RH'"';")" = 1 ]'
	sleep 1
	ST=$(sg_sql "SELECT status || ' by ' || decided_by FROM holds WHERE id = '$RH';")
	NEV=$(sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$RH' AND event IN ('release', 'delay-end', 'withdraw', 'reject', 'approve');")
	check "race $i: exactly one outcome recorded ($ST)" [ "$NEV" = 1 ]
	settle
	case $ST in
	approved*) check "race $i: approved, delivered once" [ "$(sink_n race$i)" = 1 ] ;;
	*) check "race $i: $ST, never delivered" [ "$(sink_n race$i)" = 0 ] ;;
	esac
done

# --- 6b. private-recipient through the milter --------------------------------

ROSTER=$SG_SRCDIR/tests/fixtures/pd/csv_cp932_applicants.eml
# cats_of QID: the categories the milter logged for it (sorted, commas)
cats_of() { grep -o "queue_id=$1 verdict=[a-z]* .*categories=[^ ]*" "$SG_MDIR/stderr.log" | head -1 | sed 's/.*categories=//'; }
for r in yamada@gmail.com info@partner.example; do
	sg_swaks "$SG_GW_PORT" "$OTHER" "$r" "$ROSTER" "$SG_BASE/swaks-pr-$r.txt"
	PQ=$(swaks_qid "$SG_BASE/swaks-pr-$r.txt")
	MC=$(cats_of "$PQ" | tr ',' '\n' | sort | paste -sd, -)
	CC=$(CTL check --json --from "$OTHER" --rcpt "$r" "$ROSTER" | jq -r '[.findings[].category] | unique | join(",")')
	case $r in
	*gmail.com) check "private-recipient: a roster to $r: held with private-recipient and personal-data ($MC)" \
		eval 'echo ",$MC," | grep -q ",private-recipient," && echo ",$MC," | grep -q ",personal-data,"' ;;
	*) check "private-recipient: the same roster to $r: none, still personal-data ($MC)" \
		eval '! echo ",$MC," | grep -q ",private-recipient," && echo ",$MC," | grep -q ",personal-data,"' ;;
	esac
	check "private-recipient: check --json gives the milter's categories for $r ($CC)" [ "$CC" = "$MC" ]
done

# --- 7. monitor: logged, not applied -----------------------------------------

sed -i 's/^mode = .*//; s/^\[policy\]$/[policy]\nmode = monitor/' "$CONF"
kill -USR1 "$SG_MILTER_PID"
sleep 2
clean monitor
check "monitor: not held" [ -z "$HID" ]
check "monitor: delivered at once" wait_for 10 delivered monitor
check "monitor: the delay is logged as not applied" grep -q "queue_id=$QID verdict=accept mode=monitor .*delay=${DELAY}s (not applied)" "$SG_MDIR/stderr.log"

# --- 8. nothing twice --------------------------------------------------------

settle
for n in wait other now page restart restart2 hup1 hup2 refused refused-other monitor; do
	check "$n delivered exactly once" [ "$(sink_n $n)" = 1 ]
done
check "cancel never delivered" [ "$(sink_n cancel)" = 0 ]
check "gone never delivered" [ "$(sink_n gone)" = 0 ]
check "held for approval never delivered" [ "$(sink_n approval)" = 0 ]
applyd_stop TERM
check "apply --daemon stops on SIGTERM" grep -q "apply --daemon: stopped" "$SG_BASE/applyd.log"
web_stop
check "no sanitizer report (milter, apply --daemon, web)" eval \
	'milter_sanitizer_clean && ! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_BASE/applyd.log" "$SG_MDIR/web.log"'
: "$W_HID"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
