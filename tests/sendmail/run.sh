#!/bin/bash
#
# tests/sendmail/run.sh - sendguard on a real Sendmail, end to end.
#
# Debian's Sendmail, unpacked (tests/sendmail/fetch.sh), runs on
# 127.0.0.1 with a private .cf and queue (tests/sendmail/lib.sh: a
# gateway daemon with the milter as conf/sendmail/sendguard.mc says,
# and a client Sendmail that queues and relays to it), relaying
# everything to smtp-sink. swaks is the SMTP client; sendguardctl
# apply and reconcile run with [release] backend = sendmail. The cases
# of the Postfix tests (tests/e2e/run.sh, test_workflow.sh):
#   - milter stopped: the gateway answers 451 4.3.2 (F=T); mail in the
#     client's queue stays there and is delivered once after the milter
#     starts;
#   - clean external mail reaches the sink unchanged (but Received and
#     X-Sendguard);
#   - held mail is a quarantined queue item (hf file, `mailq -qQ` shows
#     "QUARANTINE: sendguard hold <id>") with X-Sendguard-Hold in its
#     control file and a pending hold for its queue id;
#   - approve + apply: delivered exactly once, body byte-identical;
#     a second apply delivers nothing more; the queue item is gone;
#   - reject + apply: hf and df gone, never delivered;
#   - withdraw, expire: deleted alike;
#   - a queue item whose header names another hold: refused, untouched;
#   - released behind sendguard's back though rejected: apply puts it
#     back in quarantine and deletes it;
#   - a crash after the queue action (SG_FAULT=after-queue): reconcile
#     records it, delivered once; the store says applied but the item is
#     still quarantined: reconcile deletes it;
#   - [actions] exposed-recipients = bcc: To rewritten, everyone gets it;
#   - 機密性3 to an external address: 550 5.7.1;
#   - no sanitizer report in the milter's stderr.
#
# Output: one line per assertion, then "N passed, M failed" alone as
# the last line; exit status non-zero when anything failed.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in smtp-sink swaks sqlite3 jq m4 unshare; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot sm1 sm2
sg_state driver_pid $$
sm_install_traps

FROM=tanaka@$SG_INTERNAL
SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
KACHO=kacho@$SG_INTERNAL
# The mail here is sent without SMTP AUTH, so the approvers of the
# sender's own [approvers] line (kacho, kakaricho) are not asked (issue
# 14: an envelope sender without AUTH is a claim): default decides.
APPROVER=security-officer@$SG_INTERNAL
M=$SG_BASE/mail
mkdir -p "$M"

sm_setup
milter_setup "actions.exposed-recipients=bcc" \
	"notify.sendmail=$here/submit.sh 127.0.0.1:$SM_GW_PORT"
cat >>"$(milter_conf)" <<EOF

[release]
backend = sendmail
sendmail = $SM_WRAP
sendmail_config = $SM_DIR/mta.cf
command_timeout = 30s
reconcile_grace = 6m

[hold]
expire_after = 60s

[group.delayed]
senders = dly@$SG_INTERNAL
delay = 10s
EOF
CONF=$(milter_conf)
CTL() { "$SG_CTL" -c "$CONF" "$@"; }
DB=$SG_MDIR/db/sendguard.db
sink_start
sm_start
echo "# slot $SG_BASE: Sendmail $(basename "$SM_ROOT") gateway :$SM_GW_PORT," \
	"sink :$SG_SINK_PORT, milter $SG_MILTER_LM ($SG_MILTER)"

# --- helpers -----------------------------------------------------------------

# send NAME FROM TO FILE: swaks to the gateway; sets QID and REPLY.
send() {
	sg_swaks "$SM_GW_PORT" "$2" "$3" "$4" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_sm_qid "$SG_BASE/swaks-$1.txt")
	REPLY=$(swaks_data_reply "$SG_BASE/swaks-$1.txt")
	# A hold is pending once the milter has seen its hf file (issue 15).
	sg_wait_confirmed "$QID"
}
# held NAME: a copy of the xlsx demo mail (an unencrypted Excel file to
# a vendor: held) with X-E2E-Id: sm-NAME; sets QID and HID.
held() {
	{ echo "X-E2E-Id: sm-$1"; cat "$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml"; } >"$M/$1.eml"
	send "$1" "$SENDER" "$VENDOR" "$M/$1.eml"
	HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
	[ -n "$QID" ] && [ -n "$HID" ] || nok "$1: message was not held (qid '$QID', hold '$HID': $REPLY)"
}
sink_n() { grep -rlx "X-E2E-Id: $1" "$SG_SINK" 2>/dev/null | grep -c .; }
settle() { wait_for "${1:-30}" sm_settled; sleep 1; }
show_logs() {
	note "milter stderr, last lines:"
	tail -8 "$SG_MDIR/stderr.log" 2>/dev/null | sed 's/^/     #   /'
}

# --- 1. the milter is not running: tempfail, nothing lost ----------------------

sg_mail "$M/down.eml" "$FROM" "$VENDOR" "会議資料の送付" "山田様

会議資料をお送りします。" "X-E2E-Id: sm-down-smtp"
send down "$FROM" "$VENDOR" "$M/down.eml"
check "milter down: the gateway tempfails (451 4.3.2, F=T)" \
	grep -q '^<\*\* *451 4\.3\.2' "$SG_BASE/swaks-down.txt"
sg_mail "$M/down-client.eml" "$FROM" "$VENDOR" "議事録の送付" "山田様

議事録をお送りします。" "X-E2E-Id: sm-down-client"
sm_client_send "$FROM" "$M/down-client.eml" "$VENDOR"
sm_client_run
check "milter down: mail from the relaying Sendmail stays in its queue" \
	[ "$(sm_client_queued)" = 1 ]
check "milter down: nothing reached the sink" [ "$(sink_n sm-down-client)" = 0 ]

milter_start || die "milter did not start"
sm_client_run
check "milter up: the queued mail is delivered" wait_for 30 sink_has "X-E2E-Id: sm-down-client"
check "milter up: the client queue is empty" wait_for 10 eval '[ "$(sm_client_queued)" = 0 ]'
sleep 1
check "milter up: delivered exactly once" [ "$(sink_n sm-down-client)" = 1 ]

# --- 2. clean mail: delivered unchanged --------------------------------------------

sg_mail "$M/clean.eml" "Tanaka <$FROM>" "Yamada <t.yamada@sakura-sys.example>" "定例会議の開催について" \
	"株式会社さくらシステム 山田様

定例会議を11月26日(水)10時から本庁舎3階301会議室で開催します。" "X-E2E-Id: sm-clean"
send clean "$FROM" t.yamada@sakura-sys.example "$M/clean.eml"
check "clean mail is accepted ($REPLY)" [ -n "$QID" ]
check "clean mail reaches the sink" wait_for 30 sink_has "X-E2E-Id: sm-clean"
f=$(sink_files "X-E2E-Id: sm-clean" | head -1)
check "clean mail is delivered unchanged (but Received, X-Sendguard)" \
	cmp -s <(as_sent "$M/clean.eml") <(as_delivered "$f")
check "clean mail carries X-Sendguard: accept" eval '[ "$(header X-Sendguard "$f")" = accept ]'

# --- 3. hold: a quarantined queue item -----------------------------------------------

held approve
check "held: the queue item is quarantined (hf$QID)" [ "$(sm_state "$QID")" = hold ]
rc sm_mta -bp -qQ
check "held: mailq -qQ shows the reason 'sendguard hold $HID'" \
	eval 'echo "$OUT" | grep -q "QUARANTINE: sendguard hold $HID"'
check "held: the control file has X-Sendguard-Hold: $HID" \
	[ "$(sm_qf_header X-Sendguard-Hold "$QID")" = "$HID" ]
check "held: the store has a pending hold for queue id $QID" [ "$(status_of "$HID")" = pending/0 ]
check "held: not delivered" [ "$(sink_n sm-approve)" = 0 ]
rc sm_mta -bp
check "held: a plain mailq does not list it" eval '! echo "$OUT" | grep -q "$QID"'

# --- 4. approve + apply: delivered once, byte-identical -------------------------------

rc CTL approve "$HID" --checked all --by "$SENDER"
check "the sender may not approve own mail (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "$APPROVER" --comment "確認しました"
check "the assigned approver approves (exit 0)" [ "$RC" = 0 ]
check "still quarantined before apply" [ "$(sm_state "$QID")" = hold ]
rc CTL apply
check "apply exits 0: $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "approved mail reaches the sink (apply's sendmail -qI)" wait_for 30 sink_has "X-E2E-Id: sm-approve"
rc CTL apply
check "a second apply exits 0 and applies nothing: $(echo "$OUT" | tail -1)" \
	eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q "^apply: 0 applied"'
settle
check "delivered exactly once" [ "$(sink_n sm-approve)" = 1 ]
check "the queue item is gone" sm_gone "$QID"
F=$(grep -rlx "X-E2E-Id: sm-approve" "$SG_SINK" | head -1)
check "body and attachment byte-identical to what was sent" \
	cmp -s <(body_of "$M/approve.eml") <(sink_message "$F" | body_of /dev/stdin)
check "status approved, applied" [ "$(status_of "$HID")" = approved/1 ]

held concurrent
CTL approve "$HID" --checked all --by "$APPROVER" >/dev/null
CTL apply >"$SG_BASE/apply1.txt" 2>&1 &
p1=$!
CTL apply >"$SG_BASE/apply2.txt" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "two concurrent applies both succeed ($r1, $r2)" eval '[ "$r1" = 0 ] && [ "$r2" = 0 ]'
check "concurrently applied mail reaches the sink" wait_for 30 sink_has "X-E2E-Id: sm-concurrent"
settle
check "two concurrent applies deliver once" [ "$(sink_n sm-concurrent)" = 1 ]

# --- 5. reject, withdraw ----------------------------------------------------------------

held reject
rc CTL reject "$HID" --by "$APPROVER" --comment "暗号化して再送してください"
check "reject by the assigned approver (exit 0)" [ "$RC" = 0 ]
rc CTL apply
check "apply after reject exits 0: $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "rejected mail is gone: hf and df removed" sm_gone "$QID"
check "status rejected, applied" [ "$(status_of "$HID")" = rejected/1 ]
rc CTL apply
check "apply again after reject: nothing to do (exit 0)" [ "$RC" = 0 ]

held withdraw
rc CTL withdraw "$HID" --by "$SENDER"
check "the sender withdraws (exit 0)" [ "$RC" = 0 ]
CTL apply >/dev/null 2>&1
check "withdrawn mail is gone" sm_gone "$QID"
check "withdrawn, applied" [ "$(status_of "$HID")" = withdrawn/1 ]

# --- 6. a queue item that is not the hold's: refused ------------------------------------

held forgedA
QA=$QID HA=$HID
held forgedB
QB=$QID HB=$HID
CTL approve "$HA" --checked all --by "$APPROVER" >/dev/null
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET queue_id = '$QB' WHERE id = '$HA';"
rc CTL apply
check "apply refuses an item whose X-Sendguard-Hold names another hold (exit 1)" [ "$RC" = 1 ]
check "the refusal says why" eval 'echo "$OUT" | grep -q "does not carry X-Sendguard-Hold"'
check "the other item stays quarantined, untouched" [ "$(sm_state "$QB")" = hold ]
check "hold A is not recorded as applied" [ "$(status_of "$HA")" = approved/0 ]
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET queue_id = '$QA' WHERE id = '$HA';"
CTL apply >/dev/null 2>&1
check "with the right queue item, A is delivered" wait_for 30 sink_has "X-E2E-Id: sm-forgedA"
check "B was not delivered" [ "$(sink_n sm-forgedB)" = 0 ]

# --- 7. released behind our back though rejected -----------------------------------------

CTL reject "$HB" --by "$APPROVER" --comment "test reason" >/dev/null
# Unquarantined by hand (not run: the daemon's queue runs are an hour
# apart), as an administrator might by mistake.
sm_mta -qQ -qI"$QB" -Q >/dev/null 2>&1
check "released by hand: now an ordinary queue item" [ "$(sm_state "$QB")" = queued ]
rc CTL apply
check "apply puts it back in quarantine and deletes it (exit 0): $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "the rejected message is gone" sm_gone "$QB"
check "and never delivered" [ "$(sink_n sm-forgedB)" = 0 ]
check "the recall is audited" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$HB' AND event = 'apply-note';")" -ge 1 ]

# --- 8. crash between queue action and store update; reconcile ---------------------------

held crash
CTL approve "$HID" --checked all --by "$APPROVER" >/dev/null
rc env SG_FAULT=after-queue "$SG_CTL" -c "$CONF" apply
check "simulated crash after the queue action (exit 75)" [ "$RC" = 75 ]
check "the store does not know yet" [ "$(status_of "$HID")" = approved/0 ]
check "the message was released" wait_for 30 sink_has "X-E2E-Id: sm-crash"
rc CTL reconcile
check "reconcile repairs it (exit 0): $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "now recorded as applied" [ "$(status_of "$HID")" = approved/1 ]
CTL apply >/dev/null 2>&1
settle
check "still delivered exactly once" [ "$(sink_n sm-crash)" = 1 ]

held reverse
CTL reject "$HID" --by "$APPROVER" --comment "test reason" >/dev/null
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET applied = 1 WHERE id = '$HID';"
rc CTL reconcile
check "reconcile acts on an item the store thinks is gone (exit 0)" [ "$RC" = 0 ]
check "the rejected message is deleted from the queue" sm_gone "$QID"
rc CTL reconcile
check "a second reconcile finds nothing to repair" \
	eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q "^reconcile: 0 repaired"'

held orphan
sqlite3 -cmd ".timeout 10000" "$DB" "DELETE FROM holds WHERE id = '$HID';" 2>/dev/null
rc CTL reconcile
check "a quarantined item with our header but no record is reported (exit 1)" \
	eval '[ "$RC" = 1 ] && echo "$OUT" | grep -q "$QID"'
check "and left in quarantine" [ "$(sm_state "$QID")" = hold ]
# Leave no orphan behind for the expiry count below.
sm_mta -qQ -qI"$QID" -Q"sendguard test done" >/dev/null 2>&1

# --- 9. expiry --------------------------------------------------------------------------------

held expire
HE=$HID QE=$QID
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET expires_t = created_t WHERE id = '$HE';" 2>/dev/null ||
	sleep 61
rc CTL expire
check "expire: the hold expires ($(echo "$OUT" | tail -1))" [ "$(status_of "$HE")" = expired/0 ]
CTL apply >/dev/null 2>&1
check "the expired message is deleted from the queue" sm_gone "$QE"

# --- 10. Bcc rewrite ([actions] exposed-recipients = bcc) -----------------------------

CITIZENS="sakura.yamamoto1988@gmail.com,kenta_nakamura@yahoo.co.jp,misaki-ogawa.0612@docomo.ne.jp"
sg_mail "$M/bcc.eml" "Sato <$SENDER>" \
	"Yamamoto <sakura.yamamoto1988@gmail.com>, Nakamura <kenta_nakamura@yahoo.co.jp>, Ogawa <misaki-ogawa.0612@docomo.ne.jp>" \
	"健康づくりサポーター養成講座 説明会のご案内" \
	"応募者各位

説明会を12月5日(金)午後2時からさくら区役所本庁舎5階で開催します。" \
	"Cc: Kacho <$KACHO>" "X-E2E-Id: sm-bcc"
send bcc "$SENDER" "$CITIZENS,$KACHO" "$M/bcc.eml"
check "bcc: three citizens in To: accepted ($REPLY)" [ -n "$QID" ]
check "bcc: delivered" wait_for 30 sink_has "X-E2E-Id: sm-bcc"
settle
f=$(sink_files "X-E2E-Id: sm-bcc" | head -1)
if [ -n "$f" ]; then
	got=$(for g in $(sink_files "X-E2E-Id: sm-bcc"); do sink_rcpts "$g"; done | sort | tr '\n' ' ')
	want=$(echo "$CITIZENS,$KACHO" | tr ',' '\n' | sort | tr '\n' ' ')
	check "bcc: every envelope recipient receives it ($got)" [ "$got" = "$want" ]
	check "bcc: delivered To is undisclosed-recipients:; ($(header To "$f"))" \
		eval '[ "$(header To "$f")" = "undisclosed-recipients:;" ]'
	check "bcc: the internal Cc is kept ($(header Cc "$f"))" \
		eval 'header Cc "$f" | grep -q "$KACHO"'
	check "bcc: no citizen address left in the delivered headers" \
		eval '! sink_message "$f" | awk "/^\$/{exit} {print}" | grep -qi -e yamamoto1988 -e kenta_nakamura -e misaki-ogawa'
fi

# --- 11. class 3: rejected at the SMTP level -------------------------------------------

send class3 "$FROM" "$VENDOR" "$SG_SRCDIR/tests/fixtures/kimitsu3_subject_external.eml"
check "class 3 to a contractor: 550 5.7.1 ($REPLY)" eval '[[ "$REPLY" == "550 5.7.1"* ]]'
check "class 3: not queued" [ -z "$QID" ]

# --- 11b. delayed send (issue 19) on Sendmail's quarantine ---------------------------

sg_mail "$M/delay.eml" "dly@$SG_INTERNAL" "$VENDOR" "日程のご連絡" "山田様

日程をお知らせします。" "X-E2E-Id: sm-delay"
send delay "dly@$SG_INTERNAL" "$VENDOR" "$M/delay.eml"
DHID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
check "delay: held as kind delay (quarantined hf$QID)" \
	eval '[ "$(sg_sql "SELECT kind FROM holds WHERE id = '"'$DHID'"';")" = delay ] && [ "$(sm_state "$QID")" = hold ]'
"$SG_CTL" -c "$CONF" apply --daemon >"$SG_BASE/applyd.log" 2>&1 &
SMD=$!
DRT=$(sg_sql "SELECT release_t FROM holds WHERE id = '$DHID';")
check "delay: not delivered before its time" [ "$(sink_n sm-delay)" = 0 ]
check "delay: apply --daemon releases it through the sendmail backend within 10 s of its time" \
	wait_for $((DRT + 10 - $(date +%s))) sink_has "X-E2E-Id: sm-delay"
sg_mail "$M/delay2.eml" "dly@$SG_INTERNAL" "$VENDOR" "日程のご連絡 2" "山田様

日程をお知らせします。" "X-E2E-Id: sm-delay2"
send delay2 "dly@$SG_INTERNAL" "$VENDOR" "$M/delay2.eml"
D2=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
rc CTL release "$D2" --by "dly@$SG_INTERNAL"
check "delay: send now by the sender (exit $RC)" [ "$RC" = 0 ]
check "delay: sent at once (within 5 s)" wait_for 5 sink_has "X-E2E-Id: sm-delay2"
sent_by() { sg_sql "SELECT group_concat(json_extract(detail, '$.by')) FROM audit WHERE event = 'sent' AND hold_id = '$1';"; }
check "delay: audit sent, by the delay and by send-now" \
	wait_for 5 eval '[ "$(sent_by "$DHID")/$(sent_by "$D2")" = delay/send-now ]'
# cancel: the sender withdraws it, the daemon deletes the queue item
sg_mail "$M/delay3.eml" "dly@$SG_INTERNAL" "$VENDOR" "日程のご連絡 3" "山田様

日程をお知らせします。" "X-E2E-Id: sm-delay3"
send delay3 "dly@$SG_INTERNAL" "$VENDOR" "$M/delay3.eml"
D3=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';") D3Q=$QID
rc CTL withdraw "$D3" --by "dly@$SG_INTERNAL"
check "delay: cancel by the sender (exit $RC)" [ "$RC" = 0 ]
check "delay: the cancelled item is deleted (no hf, df)" wait_for 10 eval \
	'[ -z "$(sm_state "$D3Q")" ] && [ ! -e "$SM_QUEUE/df$D3Q" ]'
# held for approval: its sender's send now is refused
{ echo "X-E2E-Id: sm-delay-approval"; cat "$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml"; } >"$M/delay-approval.eml"
send delay-approval "dly@$SG_INTERNAL" "$VENDOR" "$M/delay-approval.eml"
D4=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';") D4Q=$QID
rc CTL release "$D4" --by "dly@$SG_INTERNAL"
check "delay: a hold for approval: kind approval, the sender's send now refused (exit $RC)" \
	eval '[ "$(sg_sql "SELECT kind FROM holds WHERE id = '"'$D4'"';")" = approval ] && [ "$RC" = 1 ]'
# a delayed item removed by hand: closed as expired at its time, not sent
sg_mail "$M/delay5.eml" "dly@$SG_INTERNAL" "$VENDOR" "日程のご連絡 5" "山田様

日程をお知らせします。" "X-E2E-Id: sm-delay5"
send delay5 "dly@$SG_INTERNAL" "$VENDOR" "$M/delay5.eml"
D5=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
rm -f "$SM_QUEUE/hf$QID" "$SM_QUEUE/df$QID"
D5RT=$(sg_sql "SELECT release_t FROM holds WHERE id = '$D5';")
check "delay: an item removed by hand is closed as expired at its time, not sent" \
	wait_for $((D5RT + 10 - $(date +%s))) eval \
	'[ "$(sg_sql "SELECT status || '"'/'"' || applied FROM holds WHERE id = '"'$D5'"';")" = expired/1 ] && [ -z "$(sent_by "$D5")" ]'
kill -TERM "$SMD"
wait "$SMD"
check "delay: apply --daemon stops on SIGTERM" grep -q "apply --daemon: stopped" "$SG_BASE/applyd.log"
settle
check "delay: each delivered once" eval '[ "$(sink_n sm-delay)" = 1 ] && [ "$(sink_n sm-delay2)" = 1 ]'
check "delay: the cancelled, the held and the removed ones never" \
	eval '[ "$(sink_n sm-delay3)" = 0 ] && [ "$(sink_n sm-delay-approval)" = 0 ] && [ "$(sink_n sm-delay5)" = 0 ]'
check "delay: the hold for approval is still quarantined" [ "$(sm_state "$D4Q")" = hold ]

# --- 12. the milter's health ---------------------------------------------------------

outbox_drained() { [ "$(sg_sql "SELECT count(*) FROM outbox WHERE state IN ('waiting', 'ready');")" = 0 ]; }
check "notices went through the gateway (submit.sh): the outbox drains" wait_for 120 outbox_drained
check "none was given up but those of the hold whose record the test deleted" \
	eval '! grep "given up" "$SG_MDIR/stderr.log" | grep -qv "no hold with id" && grep -q "notice [0-9]* sent:" "$SG_MDIR/stderr.log"'
milter_stop
check "SIGTERM stops the milter cleanly (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
[ "$FAIL" = 0 ] || show_logs

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
