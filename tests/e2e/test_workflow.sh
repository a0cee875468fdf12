#!/bin/bash
#
# tests/e2e/test_workflow.sh - the approval workflow (issue 7) on a real
# Postfix: sendguardctl approve / reject / withdraw / apply / expire /
# reconcile / report against held mail in a private instance
# (tests/e2e/lib.sh), relaying to smtp-sink. Checked:
#   - four eyes: the sender cannot approve; a non-assigned approver
#     cannot; an assigned one can, once (a second decision is refused);
#   - approve + apply: delivered to the sink exactly once, body and
#     attachment byte-identical to what was sent; apply again delivers
#     nothing more; list --json says applied; the sender is notified;
#   - two applies at once deliver once (the apply lock);
#   - reject + apply: gone from the queue (postqueue -j), never
#     delivered, the sender notified with the comment;
#   - withdraw: refused for an approver, done by the sender;
#   - decisions from the CLI are administrators' (issue 14): another
#     local user is refused (exit 1, nothing changes) and cannot open
#     the 0600 store file; a SUDO_USER claim changes nothing; root's
#     decision reads "administrator root on behalf of X" in show
#     (--json), report --csv, the audit log and the sender's notice,
#     with the sudo claim beside the real uid; a reject needs a reason;
#   - a queue file whose X-Sendguard-Hold names another hold: apply
#     refuses and touches nothing;
#   - a crash between the queue action and the store update
#     (SG_FAULT=after-queue): reconcile records it, nothing delivered
#     twice; and the reverse (store says applied, file still on hold):
#     reconcile deletes it;
#   - expire with expire_after = 60s: reminder once at half-time, then
#     expired, deleted by apply, sender told;
#   - apply as root leaves no root-owned store files; apply refuses to
#     create a missing store; report --csv starts with a BOM.
# Output: one line per assertion, "N passed, M failed" last.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in postfix smtp-sink swaks sqlite3 jq postcat postqueue postsuper; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
KACHO=kacho@$SG_INTERNAL
M=$SG_BASE/mail
mkdir -p "$M"

pf_setup
# SMTP AUTH: the workflow's mail is sent authenticated (the sender's own
# approvers are asked only then), and section 8 tests logins.
pf_sasl sato-h kacho kakaricho
milter_setup
# What this test needs beyond lib.sh's defaults: the private Postfix for
# the release step, and a short expiry for the expiry test.
cat >>"$(milter_conf)" <<EOF

[release]
command_timeout = 30s
reconcile_grace = 6m

[hold]
expire_after = 60s
EOF
sink_start
pf_start
milter_start || die "milter did not start"
CONF=$(milter_conf)
CTL() { "$SG_CTL" -c "$CONF" "$@"; }
DB=$SG_MDIR/db/sendguard.db

# held NAME: send a copy of the xlsx demo mail (an unencrypted Excel file
# to a vendor: held) with X-E2E-Id: wf-NAME; sets QID and HID.
held() {
	{ echo "X-E2E-Id: wf-$1"; cat "$here/mail/demo3_xlsx.eml"; } >"$M/$1.eml"
	sg_swaks_auth "$SG_GW_PORT" sato-h "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
	[ -n "$QID" ] && [ -n "$HID" ] || nok "$1: message was not held (qid '$QID', hold '$HID')"
}
sink_n() { grep -rlx "X-E2E-Id: wf-$1" "$SG_SINK" 2>/dev/null | grep -c .; }
in_queue() { [ -n "$(pf_queue_name "$1")" ]; }
not_in_queue() { ! in_queue "$1"; }
notice_sent() {
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'notice' AND hold_id = '$1' AND detail LIKE '%$2%';")" -ge 1 ]
}
settle() { wait_for "${1:-30}" pf_queue_settled; sleep 1; }

# --- 1. approve: four eyes, assignment, once; apply delivers once ----------

held approve
check "held mail sits in the hold queue" [ "$(pf_queue_name "$QID")" = hold ]
rc CTL approve "$HID" --checked all --by "$SENDER"
check "the sender may not approve own mail (exit 1): $OUT" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "bucho@$SG_INTERNAL"
check "a non-assigned approver is refused (exit 1)" [ "$RC" = 1 ]
rc CTL approve nosuchhold --checked all --by "$KACHO"
check "an unknown hold is not found (exit 66)" [ "$RC" = 66 ]
rc CTL approve "$HID"
check "approve without --by is a usage error (exit 64)" [ "$RC" = 64 ]
rc CTL show "$HID"
check "show names the external recipient and the attachment" \
	eval 'echo "$OUT" | grep -q "$VENDOR" && echo "$OUT" | grep -q "NOT encrypted"'
rc CTL approve "$HID" --checked all --by "$KACHO" --comment "確認しました"
check "the assigned approver approves (exit 0)" [ "$RC" = 0 ]
rc CTL approve "$HID" --checked all --by "kakaricho@$SG_INTERNAL"
check "a decided hold cannot be decided again (exit 1)" [ "$RC" = 1 ]
check "list --json: approved, not yet applied" \
	[ "$(CTL list --json | jq -r --arg h "$HID" '.[] | select(.id == $h) | "\(.status) \(.applied)"')" = "approved false" ]
check "the message is still on hold before apply" [ "$(pf_queue_name "$QID")" = hold ]
rc CTL apply
check "apply exits 0: $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "approved mail reaches the sink" wait_for 30 sink_has "X-E2E-Id: wf-approve"
rc CTL apply
check "a second apply exits 0" [ "$RC" = 0 ]
settle
check "delivered exactly once" [ "$(sink_n approve)" = 1 ]
F=$(grep -rlx "X-E2E-Id: wf-approve" "$SG_SINK" | head -1)
check "body and attachment byte-identical to what was sent" \
	cmp -s <(body_of "$M/approve.eml") <(sink_message "$F" | body_of /dev/stdin)
check "list --json: applied true" \
	[ "$(CTL list --json | jq -r --arg h "$HID" '.[] | select(.id == $h) | .applied')" = true ]
check "the sender is told it was approved and sent" notice_sent "$HID" approved_sender
check "the audit log has the approval as root's on behalf of --by, with the real uid" \
	[ "$(sg_sql "SELECT actor || '|' || unix_user FROM audit WHERE event = 'approve' AND hold_id = '$HID';")" = "administrator root on behalf of $KACHO|root (uid 0)" ]

# --- 1b. decisions from the CLI are administrators' (issue 14) ----------------
# Only root and the store's owner may decide from the command line; the
# decision is recorded as "administrator USER on behalf of X" in show,
# the report, the audit log and the notices; SUDO_USER is a claim beside
# the real uid, never instead of it.

OTHER=sg-e2e-other
# (under the harness's machine-wide lock: useradd fails while another
# run's useradd or usermod holds /etc/passwd)
other_user_now() {
	id "$OTHER" >/dev/null 2>&1 ||
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$OTHER"
}
sg_locked other_user_now || die "cannot create user $OTHER"
# /etc/sendguard/sendguard.conf is world-readable on a real host: give
# the other user a readable copy, so that what refuses it is the rule,
# not an unreadable configuration.
OCONF_DIR=$(mktemp -d /tmp/sg-e2e-other.XXXXXX)
chmod 755 "$OCONF_DIR"
install -m 644 "$CONF" "$OCONF_DIR/sendguard.conf"
as_other() { setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups "$SG_CTL" -c "$OCONF_DIR/sendguard.conf" "$@"; }
held admin
audit_n() { sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$1' AND event NOT IN ('notice', 'notice-failed');"; }	# the notifier audits the notices it sends at any time
n0=$(audit_n "$HID")
for cmd in "approve $HID --by $KACHO" "reject $HID --by $KACHO --comment no" "withdraw $HID --by $SENDER"; do
	# shellcheck disable=SC2086
	rc as_other $cmd
	check "a non-root user other than the store's owner is refused: ${cmd%% *} (exit 1): $OUT" \
		eval '[ "$RC" = 1 ] && echo "$OUT" | grep -q "store.s owner"'
done
rc env SUDO_USER="$KACHO" SUDO_UID=0 setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups \
	"$SG_CTL" -c "$OCONF_DIR/sendguard.conf" approve "$HID" --checked all --by "$KACHO"
check "a SUDO_USER claim does not make another user an administrator (exit 1)" [ "$RC" = 1 ]
check "nothing changed after the refusals" \
	eval '[ "$(status_of "$HID")" = pending/0 ] && [ "$(audit_n "$HID")" = "$n0" ]'
check "the store file is 0600 and belongs to the service user" \
	[ "$(stat -c '%a %U' "$DB")" = "600 $SG_MILTER_USER" ]
check "the other user cannot open the store file" \
	eval '! setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups cat "$DB" >/dev/null 2>&1'
check "the other user cannot open the store file even with the directory open" \
	eval 'chmod 711 "$(dirname "$DB")"; ! setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups cat "$DB" >/dev/null 2>&1; r=$?; chmod 700 "$(dirname "$DB")"; [ $r = 0 ]'
rm -rf "$OCONF_DIR"
rc CTL reject "$HID" --by "$KACHO"
check "a reject without a reason is refused (exit 64), nothing changes" \
	eval '[ "$RC" = 64 ] && echo "$OUT" | grep -q "reason" && [ "$(status_of "$HID")" = pending/0 ]'
rc CTL reject "$HID" --by "$SENDER" --comment "self"
check "--by may not name the sender (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "<SATO-H@$SG_INTERNAL>"
check "--by may not name the sender in another spelling (exit 1)" [ "$RC" = 1 ]
rc env SUDO_USER=kacho SUDO_UID=1234 "$SG_CTL" -c "$CONF" reject "$HID" --by "$KACHO" --comment "宛先を確認してください"
check "root rejects on behalf of the approver (exit 0): $OUT" [ "$RC" = 0 ]
ADMIN="administrator root on behalf of $KACHO"
check "show --json: decided by the administrator on behalf of the approver" \
	[ "$(CTL show "$HID" --json | jq -r .decided_by)" = "$ADMIN" ]
check "show: decided by the administrator on behalf of the approver" \
	eval 'CTL show "$HID" | grep -q "$ADMIN"'
check "audit: actor is the administrator, the sudo claim beside the real uid" \
	[ "$(sg_sql "SELECT actor || '|' || unix_user FROM audit WHERE event = 'reject' AND hold_id = '$HID';")" = "$ADMIN|root (uid 0; claimed by the environment: SUDO_USER=kacho, SUDO_UID=1234)" ]
rc CTL report --since "$(date +%Y-%m-%d)" --csv
check "report --csv: decided_by and unix_user say administrator and real uid" \
	eval 'echo "$OUT" | grep "$HID" | grep -q "\"rejected\",\"$ADMIN\",.*\"root (uid 0; claimed"'
CTL apply >/dev/null 2>&1
# notice_says TEXT...: a notice in the sink whose (base64) body has them all.
notice_says() {
	local f t body
	for f in $(grep -rl "^X-Sendguard-Notice:" "$SG_SINK" 2>/dev/null); do
		body=$(sink_message "$f" | body_of /dev/stdin | base64 -d 2>/dev/null) || continue
		for t in "$@"; do
			case $body in *"$t"*) ;; *) continue 2 ;; esac
		done
		return 0
	done
	return 1
}
check "the sender's notice names the administrator on behalf of the approver" \
	wait_for 30 notice_says "$HID" "$ADMIN"

held concurrent
CTL approve "$HID" --checked all --by "$KACHO" >/dev/null
CTL apply >"$SG_BASE/apply1.txt" 2>&1 &
p1=$!
CTL apply >"$SG_BASE/apply2.txt" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "two concurrent applies both succeed ($r1, $r2)" eval '[ "$r1" = 0 ] && [ "$r2" = 0 ]'
check "concurrently applied mail reaches the sink" wait_for 30 sink_has "X-E2E-Id: wf-concurrent"
settle
check "two concurrent applies deliver once" [ "$(sink_n concurrent)" = 1 ]

# --- 2. reject ---------------------------------------------------------------

held reject
rc CTL reject "$HID" --by "$KACHO" --comment "暗号化して再送してください"
check "reject by the assigned approver (exit 0)" [ "$RC" = 0 ]
rc CTL apply
check "apply after reject exits 0" [ "$RC" = 0 ]
check "rejected mail is gone from the queue" not_in_queue "$QID"
settle
check "rejected mail never reaches the sink" [ "$(sink_n reject)" = 0 ]
check "the sender is told it was rejected" notice_sent "$HID" rejected_sender
check "status rejected, applied" [ "$(status_of "$HID")" = rejected/1 ]

# --- 3. withdraw ---------------------------------------------------------------

held withdraw
rc CTL withdraw "$HID" --by "$KACHO"
check "an approver may not withdraw (exit 1)" [ "$RC" = 1 ]
rc CTL withdraw "$HID" --by "$SENDER"
check "the sender withdraws (exit 0)" [ "$RC" = 0 ]
CTL apply >/dev/null 2>&1
check "withdrawn mail is gone from the queue" not_in_queue "$QID"
check "withdrawn, applied" [ "$(status_of "$HID")" = withdrawn/1 ]

# --- 4. a queue file that is not the hold's: refused ---------------------------

held forgedA
QA=$QID HA=$HID
held forgedB
QB=$QID HB=$HID
CTL approve "$HA" --checked all --by "$KACHO" >/dev/null
# The store now names B's queue file for hold A (a mix-up, a restored
# backup, a tampered record): B's header says HB, not HA.
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET queue_id = '$QB' WHERE id = '$HA';"
rc CTL apply
check "apply refuses a queue file whose X-Sendguard-Hold names another hold (exit 1)" \
	[ "$RC" = 1 ]
check "the refusal says why" eval 'echo "$OUT" | grep -q "does not carry X-Sendguard-Hold"'
check "the other message stays on hold, untouched" [ "$(pf_queue_name "$QB")" = hold ]
check "hold A is not recorded as applied" [ "$(status_of "$HA")" = approved/0 ]
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET queue_id = '$QA' WHERE id = '$HA';"
CTL apply >/dev/null 2>&1
check "with the right queue file, A is delivered" wait_for 30 sink_has "X-E2E-Id: wf-forgedA"
check "B was not delivered" [ "$(sink_n forgedB)" = 0 ]
CTL reject "$HB" --by "$KACHO" --comment "test reason" >/dev/null
CTL apply >/dev/null 2>&1

# --- 5. crash between queue action and store update; reconcile ------------------

held crash
CTL approve "$HID" --checked all --by "$KACHO" >/dev/null
rc env SG_FAULT=after-queue "$SG_CTL" -c "$CONF" apply
check "simulated crash after the queue action (exit 75)" [ "$RC" = 75 ]
check "the store does not know yet" [ "$(status_of "$HID")" = approved/0 ]
check "the message was released" wait_for 30 sink_has "X-E2E-Id: wf-crash"
rc CTL reconcile
check "reconcile repairs it (exit 0): $(echo "$OUT" | tail -1)" [ "$RC" = 0 ]
check "now recorded as applied" [ "$(status_of "$HID")" = approved/1 ]
check "the repair is in the audit log" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$HID' AND event IN ('reconcile', 'apply-note');")" -ge 1 ]
CTL apply >/dev/null 2>&1
settle
check "still delivered exactly once" [ "$(sink_n crash)" = 1 ]

held reverse
CTL reject "$HID" --by "$KACHO" --comment "test reason" >/dev/null
# The reverse: the store says done, the queue file is still on hold.
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET applied = 1 WHERE id = '$HID';"
rc CTL reconcile
check "reconcile acts on a file the store thinks is gone (exit 0)" [ "$RC" = 0 ]
check "the rejected message is deleted from the hold queue" not_in_queue "$QID"
check "the reverse repair is audited" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$HID' AND event = 'reconcile';")" -ge 1 ]
rc CTL reconcile
check "a second reconcile finds nothing to repair" \
	eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q "^reconcile: 0 repaired"'

# --- 6. expiry: reminder at half-time, then expired ------------------------------

held expire
HE=$HID QE=$QID
T0=$(date +%s)
sleep $((31 - ($(date +%s) - T0)))
rc CTL expire
check "expire at half-time reminds (exit 0): $OUT" \
	eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q "1 reminded"'
rc CTL expire
check "the reminder is sent once" eval 'echo "$OUT" | grep -q "0 reminded"'
check "still pending after the reminder" [ "$(status_of "$HE")" = pending/0 ]
sleep $((62 - ($(date +%s) - T0)))
rc CTL expire
check "past expire_after the hold expires: $OUT" [ "$(status_of "$HE")" = expired/0 ]
check "the sender is told it expired" notice_sent "$HE" expired_sender
CTL apply >/dev/null 2>&1
check "the expired message is deleted from the queue" not_in_queue "$QE"

# --- 8. one identity per person (issue 14) --------------------------------------

# held_as NAME LOGIN FROM FILE: FILE (with X-E2E-Id: wf-NAME) from FROM to
# the vendor, after AUTH as LOGIN ("": no AUTH); sets QID and HID.
held_as() {
	local name=$1 login=$2 from=$3 file=$4 out=$SG_BASE/swaks-$1.txt
	{ echo "X-E2E-Id: wf-$name"; cat "$file"; } >"$M/$name.eml"
	if [ -n "$login" ]; then
		sg_swaks_auth "$SG_GW_PORT" "$login" "$from" "$VENDOR" "$M/$name.eml" "$out"
	else
		sg_swaks "$SG_GW_PORT" "$from" "$VENDOR" "$M/$name.eml" "$out"
	fi
	QID=$(swaks_qid "$out")
	HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
	[ -n "$QID" ] && [ -n "$HID" ] || nok "$name: message was not held (qid '$QID', hold '$HID')"
}
approvers_of() { sg_sql "SELECT approvers FROM holds WHERE id = '$1';" | jq -r 'join(",")'; }
KAKARI=kakaricho@$SG_INTERNAL
SO=security-officer@$SG_INTERNAL
XLSX=$here/mail/demo3_xlsx.eml

# A plus address: kacho+x is kacho. Assigned: only kakaricho.
held_as plus kacho "kacho+x@$SG_INTERNAL" "$XLSX"
check "plus-address sender kacho+x@ is not assigned to own hold: $(approvers_of "$HID")" \
	[ "$(approvers_of "$HID")" = "$KAKARI" ]
rc CTL approve "$HID" --checked all --by "$KACHO"
check "kacho@ may not approve the mail kacho+x@ sent (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "KACHO+other@$SG_INTERNAL"
check "nor under another extension (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "$KAKARI"
check "the other approver may (exit 0)" [ "$RC" = 0 ]
AUTHN=$(sg_sql "SELECT auth_login FROM holds WHERE id = '$HID';")
note "Postfix's {auth_authen} for login kacho: '$AUTHN'"

# A login-only sender: AUTH as kacho, envelope and From another address.
held_as login kacho "system@$SG_INTERNAL" "$XLSX"
check "login-only sender (AUTH kacho) is not assigned: $(approvers_of "$HID")" \
	[ "$(approvers_of "$HID")" = "$KAKARI" ]
rc CTL approve "$HID" --checked all --by "$KACHO"
check "kacho@ may not approve what login kacho sent (exit 1)" [ "$RC" = 1 ]
check "the refusal names four eyes" eval 'echo "$OUT" | grep -q "four eyes"'
rc CTL reject "$HID" --by "$KAKARI" --comment "test reason"
check "the other approver decides (exit 0)" [ "$RC" = 0 ]

# Without AUTH the envelope sender is a claim: the 課長 sending as his
# subordinate must not get the hold; the sender's own routing is out.
held_as forged "" "$SENDER" "$XLSX"
check "without AUTH, the sender's own approvers are not asked: $(approvers_of "$HID")" \
	[ "$(approvers_of "$HID")" = "$SO" ]
rc CTL approve "$HID" --checked all --by "$KACHO"
check "so kacho cannot approve mail sent as sato-h without AUTH (exit 1)" [ "$RC" = 1 ]
CTL reject "$HID" --by "$SO" --comment "test reason" >/dev/null

# A 取扱注意 mail from the 課長: the security officer only.
sg_mail "$M/toriatsukai.src" "$KACHO" "$VENDOR" "【取扱注意】来年度予算の内示について" \
	$'山田様\n\n内示資料の概要です。取扱注意でお願いします。'
held_as toriatsukai kacho "$KACHO" "$M/toriatsukai.src"
check "a 取扱注意 hold from kacho goes to the security officer only: $(approvers_of "$HID")" \
	[ "$(approvers_of "$HID")" = "$SO" ]
rc CTL approve "$HID" --checked all --by "$KAKARI"
check "kacho's own subordinate may not approve it (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "$KACHO"
check "nor kacho (exit 1)" [ "$RC" = 1 ]
rc CTL approve "$HID" --checked all --by "$SO"
check "the security officer approves (exit 0)" [ "$RC" = 0 ]
CTL apply >/dev/null 2>&1
check "and it is delivered" wait_for 30 sink_has "X-E2E-Id: wf-toriatsukai"

# apply is the last gate: an approval recorded for one of the sender's
# identities (an old version, a hand edit) is never carried out.
held selfapply
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET status = 'approved', decided_by = 'Sato-H+memo@$SG_INTERNAL', decided_at = '2026-12-04T00:00:00+00:00' WHERE id = '$HID';"
rc CTL apply
check "apply refuses an approval by the sender's own identity (exit 1)" [ "$RC" = 1 ]
check "the refusal says why" eval 'echo "$OUT" | grep -q "sender.s identities"'
check "the message stays on hold" [ "$(pf_queue_name "$QID")" = hold ]
check "and is not recorded as applied" [ "$(status_of "$HID")" = approved/0 ]
settle
check "nothing reached the sink" [ "$(sink_n selfapply)" = 0 ]
sqlite3 -cmd ".timeout 10000" "$DB" "UPDATE holds SET status = 'rejected', decided_by = '$KACHO' WHERE id = '$HID';"
CTL apply >/dev/null 2>&1

# --- 7. privileges, report ---------------------------------------------------------

owner=$(stat -c %U "$DB")
bad=$(find "$SG_MDIR/db" -maxdepth 1 -name 'sendguard.db*' ! -user "$owner" ! -name '*.lock' | head -1)
check "no root-owned store files after root runs apply ($owner): $bad" [ -z "$bad" ]
sed "s|^path = .*sendguard.db|path = $SG_MDIR/db/missing.db|" "$CONF" >"$SG_MDIR/missing.conf"
rc "$SG_CTL" -c "$SG_MDIR/missing.conf" apply
check "apply refuses a missing store (exit 66) and does not create it" \
	eval '[ "$RC" = 66 ] && [ ! -e "$SG_MDIR/db/missing.db" ]'
rc CTL report --since "$(date +%Y-%m-%d)" --csv
check "report --csv starts with a UTF-8 BOM" eval 'printf "%s" "$OUT" | head -c 3 | od -An -tx1 | grep -q "ef bb bf"'
check "report lists the approved hold with its approver" eval 'echo "$OUT" | grep -q "approved.*$KACHO"'
rc "$SG_CTL" -c "$CONF" audit verify
check "the audit chain verifies (if audit verify exists)" eval '[ "$RC" = 0 ] || [ "$RC" = 64 ]'
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
