#!/bin/bash
#
# NAME
#	apply.sh - the approval step killed between the queue action and
#	the store update; Postfix stopped while holds are pending
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). Checked, message by
#	message (tests/faults/lib.sh):
#	  - `sendguardctl apply` with SG_FAULT=after-queue exits (75) after
#	    releasing the message and before recording it: the store still
#	    says approved/not applied; `reconcile` records it; a second
#	    apply and reconcile change nothing; delivered exactly once;
#	  - Postfix stopped with two holds pending and started again: both
#	    still in the hold queue with their records; one approved and
#	    applied is delivered exactly once, the other rejected and
#	    applied is deleted and never delivered.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"
fault_start
cat >>"$(milter_conf)" <<EOF2

[release]
command_timeout = 30s
reconcile_grace = 6m
EOF2
CTL() { "$SG_CTL" -c "$(milter_conf)" "$@"; }
# Held mail here is sent without SMTP AUTH: the sender's own approvers
# (kacho, kakaricho) are not asked (issue 14); default decides.
APPROVER=security-officer@$SG_INTERNAL
hid() { sg_sql "SELECT id FROM holds WHERE subject = 'fault $1';"; }
state() { sg_sql "SELECT status || '/' || applied FROM holds WHERE subject = 'fault $1';"; }
held() { H=$1; fmsg "$H" hold; relay "$H"; wait_for 60 eval '[ "$(n_hold "$H")" = 1 ]'; }

# --- 1. crash between the queue action and the store update --------------------
check "a held message (crash)" held crash
CTL approve "$(hid crash)" --checked all --by "$APPROVER" >/dev/null
SG_FAULT=after-queue "$SG_CTL" -c "$(milter_conf)" apply >"$SG_BASE/apply-fault.txt" 2>&1
rc=$?
check "apply stops after the queue action (SG_FAULT=after-queue, exit 75; got $rc)" [ "$rc" = 75 ]
check "the store does not know yet (approved/0)" [ "$(state crash)" = approved/0 ]
check "the message was released from the hold queue and delivered" wait_for 60 eval '[ "$(n_sink crash)" = 1 ]'
CTL reconcile >"$SG_BASE/reconcile.txt" 2>&1
check "reconcile exits 0 and records it (approved/1)" \
	eval '[ $? = 0 ] && [ "$(state crash)" = approved/1 ]'
CTL apply >/dev/null 2>&1
CTL reconcile >"$SG_BASE/reconcile2.txt" 2>&1
check "a second apply and reconcile repair nothing" grep -q '^reconcile: 0 repaired' "$SG_BASE/reconcile2.txt"
settle
check "delivered exactly once" [ "$(n_sink crash)" = 1 ]
check "no hold without a record, no record without a hold" invariant

# --- 2. Postfix stopped with holds pending ---------------------------------------------
held pending-a
held pending-b
check "two holds pending before the stop" eval 'once pending-a hold && once pending-b hold'
pf_stop
check "Postfix stopped" eval '! pf_listening'
pf_start
check "after the restart both are still held, with their records" \
	eval 'once pending-a hold && once pending-b hold'
check "no hold without a record, no record without a hold (after restart)" invariant
CTL approve "$(hid pending-a)" --checked all --by "$APPROVER" >/dev/null
CTL reject "$(hid pending-b)" --by "$APPROVER" --comment "fault test" >/dev/null
CTL apply >"$SG_BASE/apply-after.txt" 2>&1
check "apply after the restart exits 0" [ $? = 0 ]
check "the approved one is delivered" wait_for 60 eval '[ "$(n_sink pending-a)" = 1 ]'
settle
check "the approved one is delivered exactly once" [ "$(n_sink pending-a)" = 1 ]
check "the rejected one is gone from the queue and never delivered" \
	eval '[ "$(n_sink pending-b)" = 0 ] && [ -z "$(pf_queue_name "$(sg_sql "SELECT queue_id FROM holds WHERE subject = '"'"'fault pending-b'"'"';")")" ]'
check "both recorded as applied" eval '[ "$(state pending-a)" = approved/1 ] && [ "$(state pending-b)" = rejected/1 ]'
check "no hold without a record, no record without a hold (end)" invariant
milter_stop
fault_end
