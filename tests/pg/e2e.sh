#!/bin/bash
#
# NAME
#	tests/pg/e2e.sh - the milter and the approval page on PostgreSQL,
#	end to end
# DESCRIPTION
#	A private PostgreSQL (tests/pg/lib.sh: password authentication on
#	loopback, the password in a 0600 passfile named by the DSN, never
#	in the configuration) and a private Postfix with smtp-sink and the
#	milter (tests/e2e/lib.sh), the milter and sendguard-web with
#	[store] backend = postgresql. Checked:
#	  - clean mail is delivered, and its verdict is in the audit log;
#	  - mail with an unencrypted xlsx to a vendor sits in Postfix's hold
#	    queue, its hold is confirmed pending in the database and the
#	    approvers' notices are sent;
#	  - one hold approved on the page (the link in the approver's
#	    notice, the form's POST), one with `sendguardctl approve`;
#	    `sendguardctl apply` releases both, each delivered exactly once
#	    (a second apply delivers nothing), the sender told;
#	  - `sendguardctl audit verify` passes; doctor connects, names the
#	    schema and reports a group-readable passfile;
#	  - no sanitizer report from the milter or the page.
#	Output: one line per assertion, "N passed, M failed" last.
# ENVIRONMENT
#	SG_MILTER, SG_CTL, SG_WEB, SG_SRCDIR, SG_TEST_ROOT.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"
mail=$here/../e2e/mail

for t in postfix smtp-sink swaks jq postqueue psql curl base64; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
SG_WEB=${SG_WEB:-$(dirname "$SG_MILTER")/sendguard-web}
[ -x "$SG_WEB" ] || die "no sendguard-web at $SG_WEB"

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
WEB_PID=""
web_stop() {
	[ -n "$WEB_PID" ] || return 0
	kill -TERM "$WEB_PID" 2>/dev/null
	wait "$WEB_PID" 2>/dev/null
	WEB_PID=""
}
cleanup() { local rc=$?; web_stop; milter_stop; pg_cleanup; (exit "$rc"); sg_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_setup || die "cannot start PostgreSQL"
sg_ensure_user
pg_passfile "$SG_MILTER_USER"
ok "private PostgreSQL on 127.0.0.1:$PG_PORT, password in a 0600 passfile"

# The store, as the test reads it: the same SQL as lib.sh's SQLite reads.
sg_sql() { pg_sql "$1"; }

SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
# Mail sent without SMTP AUTH goes to the default approver.
KACHO=security-officer@$SG_INTERNAL
M=$SG_BASE/mail
mkdir -p "$M"
sg_pick_port WEB_PORT
BASE_URL=http://127.0.0.1:$WEB_PORT

pf_setup
milter_setup "store.backend=postgresql" "store.dsn=$PG_DSN" \
	"web.base_url=$BASE_URL" "web.listen=127.0.0.1:$WEB_PORT"
CONF=$(milter_conf)
CTL() { "$SG_CTL" -c "$CONF" "$@"; }
check "the configuration has no password" eval '! grep -qi "password" "$CONF"'
check "store init made the schema in PostgreSQL" \
	[ "$(pg_sql "SELECT value FROM meta WHERE key = 'schema_version';")" -ge 5 ]
sink_start
pf_start
milter_start || die "milter did not start on PostgreSQL: $(tail -5 "$SG_MDIR/stderr.log")"
ok "the milter starts on [store] backend = postgresql"
"$SG_WEB" -c "$CONF" -f >>"$SG_MDIR/web.log" 2>&1 9>&- &
WEB_PID=$!
sg_state web_pid "$WEB_PID"
wait_for 20 eval '[ -n "$(ss -Htln "sport = :$WEB_PORT" 2>/dev/null)" ]' ||
	die "sendguard-web does not listen on $WEB_PORT: $(tail -5 "$SG_MDIR/web.log")"
ok "the page starts on [store] backend = postgresql"

sink_n() { grep -rlx "X-E2E-Id: pg-$1" "$SG_SINK" 2>/dev/null | grep -c .; }
delivered() { [ "$(sink_n "$1")" -ge 1 ]; }
status_is() { [ "$(pg_sql "SELECT status || '/' || applied FROM holds WHERE id = '$1';")" = "$2" ]; }
# send NAME FIXTURE: one SMTP transaction to the gateway; sets QID, HID.
send() {
	{ echo "X-E2E-Id: pg-$1"; cat "$mail/$2"; } >"$M/$1.eml"
	sg_swaks "$SG_GW_PORT" "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	HID=$(pg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
}
notices_sent() {
	[ "$(pg_sql "SELECT count(*) FROM outbox WHERE hold_id = '$1' AND kind = '$2' AND state = 'sent';")" -ge 1 ]
}

# --- clean mail ------------------------------------------------------------
send clean demo1_clean.eml
check "clean mail is accepted (queue id $QID), no hold" eval '[ -n "$QID" ] && [ -z "$HID" ]'
check "clean mail reaches the sink" wait_for 30 delivered clean
check "its verdict is in the PostgreSQL audit log" wait_for 10 eval \
	'[ "$(pg_sql "SELECT count(*) FROM audit WHERE event = '"'verdict'"' AND queue_id = '"'$QID'"';")" = 1 ]'

# --- held mail: one approved on the page, one with sendguardctl -------------
send page demo3_xlsx.eml
QP=$QID HP=$HID
check "mail with an xlsx is held (hold $HP)" [ -n "$HP" ]
check "it sits in Postfix's hold queue" [ "$(pf_queue_name "$QP")" = hold ]
check "the notifier confirms the hold: pending in PostgreSQL" wait_for 20 status_is "$HP" pending/0
check "the sender's hold notice is sent" wait_for 30 notices_sent "$HP" hold_sender
check "the approvers' requests are sent" wait_for 30 notices_sent "$HP" approval_request
check "the request reaches the approver at the sink" wait_for 30 eval '[ -n "$(sg_notice_link "$SG_SINK" "$BASE_URL" "$HP" "$KACHO")" ]'
send cli demo3_xlsx.eml
QC=$QID HC=$HID
check "a second held mail (hold $HC)" eval '[ -n "$HC" ] && [ "$(pf_queue_name "$QC")" = hold ]'
check "... confirmed pending" wait_for 20 status_is "$HC" pending/0
check "list --json shows both holds pending" \
	[ "$(CTL list --json | jq -r --arg a "$HP" --arg b "$HC" '[.[] | select((.id == $a or .id == $b) and .status == "pending")] | length')" = 2 ]

LINK=$(sg_notice_link "$SG_SINK" "$BASE_URL" "$HP" "$KACHO")
# The form as a browser sends it, every checklist box ticked.
code=$(sg_page_post "$LINK" "$SG_BASE/page-post.html" approve comment= check{1..8}=1)
check "approved on the page (HTTP $code)" eval '[ "$code" = 200 ] || [ "$code" = 303 ]'
check "the page's decision is in PostgreSQL: approved, not applied" status_is "$HP" approved/0
rc CTL approve "$HC" --checked all --by "$KACHO" --comment "確認しました"
check "sendguardctl approve on PostgreSQL (exit 0): $OUT" [ "$RC" = 0 ]
check "both still on hold before apply" \
	eval '[ "$(pf_queue_name "$QP")" = hold ] && [ "$(pf_queue_name "$QC")" = hold ]'
rc CTL apply
check "sendguardctl apply (exit 0): $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "the page-approved mail reaches the sink" wait_for 30 delivered page
check "the CLI-approved mail reaches the sink" wait_for 30 delivered cli
rc CTL apply
check "a second apply exits 0" [ "$RC" = 0 ]
wait_for 30 pf_queue_settled
sleep 2
check "each delivered exactly once (page $(sink_n page), cli $(sink_n cli), clean $(sink_n clean))" \
	[ "$(sink_n page)$(sink_n cli)$(sink_n clean)" = 111 ]
check "list --json: both applied" \
	[ "$(CTL list --json | jq -r --arg a "$HP" --arg b "$HC" '[.[] | select((.id == $a or .id == $b) and .applied == true)] | length')" = 2 ]
check "the sender is told each was approved and sent" wait_for 30 eval \
	'notices_sent "$HP" approved_sender && notices_sent "$HC" approved_sender'
check "nothing left in Postfix's queue" pf_queue_empty

rc CTL audit verify
check "audit verify on PostgreSQL: $OUT" eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q intact'
rc CTL doctor --no-mail
check "doctor: the store opens on PostgreSQL" eval 'echo "$OUT" | grep -q "store opens (postgresql, schema"'
check "doctor: the passfile is its owner's only" \
	eval 'echo "$OUT" | grep -q "store password file $PG_PASSFILE is its owner.s only (mode 0600)"'
chmod 640 "$PG_PASSFILE"
rc CTL doctor --no-mail
check "doctor: a group-readable passfile is reported (exit $RC)" \
	eval '[ "$RC" != 0 ] && echo "$OUT" | grep -q "store password file $PG_PASSFILE is readable or writable by group or others (mode 0640)"'
chmod 600 "$PG_PASSFILE"

web_stop
milter_stop
check "the milter stops cleanly (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report (milter, page)" eval \
	'milter_sanitizer_clean && ! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/web.log"'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
