#!/bin/bash
#
# NAME
#	arrival.sh - a hold is confirmed by its queue file (issue 15 item 2)
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). The milter records a hold
#	inside end of message, before Postfix commits the queue file; the
#	record is "arriving" until the milter's notifier sees the queue id
#	on hold ([release] arrival_timeout = 12s here). SG_FAULT=eom-pause
#	makes the milter sleep 5 s between the record and its answer (less
#	than the timeout, as the MTA's milter timeout must be), the window
#	this test aims its faults at:
#	  1. kill -9 of the milter in that window, three times: Postfix
#	     tempfails, the relaying queue keeps the message and sends it
#	     again; each message ends held once with exactly one confirmed
#	     record; each phantom record is closed as never-arrived with one
#	     audit record, its notices cancelled, none sent, none at the
#	     sink; nobody can approve a phantom; reconcile leaves phantoms
#	     and young arriving holds alone;
#	  2. `postfix stop` while 20 held messages sit in that window, then
#	     a start: the same, message by message, except that a message
#	     whose file the gateway had committed when the stop cut the
#	     relay's session is sent again and held twice (two queue files,
#	     each with its own confirmed record: SMTP's duplicate window);
#	  3. the confirmed holds' notices all went out, each audited once,
#	     and every hold-queue file has exactly one confirmed record.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"

pf_setup
milter_setup
cat >>"$(milter_conf)" <<EOF2

[release]
command_timeout = 30s
arrival_timeout = 12s
EOF2
sink_start
pf_start
CTL() { "$SG_CTL" -c "$(milter_conf)" "$@"; }
# Held mail here is sent without SMTP AUTH: default decides (issue 14).
APPROVER=security-officer@$SG_INTERNAL

# Records of message ID: all, confirmed ones (n_hold, lib.sh), phantoms.
n_rec() { sg_sql "SELECT count(*) FROM holds WHERE subject = 'fault $1';"; }
phantoms_of() { sg_sql "SELECT id FROM holds WHERE subject = 'fault $1' AND status IN ('arriving', 'never-arrived');"; }
n_arriving_like() { sg_sql "SELECT count(*) FROM holds WHERE subject LIKE 'fault $1%' AND status = 'arriving';"; }
audits() { sg_sql "SELECT count(*) FROM audit WHERE hold_id = '$1' AND event = '$2';"; }
outbox_not() { sg_sql "SELECT count(*) FROM outbox WHERE hold_id = '$1' AND state <> '$2';"; }
# A phantom is closed silently: never-arrived, one audit record of it,
# no confirmation, every notice cancelled and none sent or audited, and
# nothing at the sink names it.
silent_phantom() {
	local p=$1
	[ "$(sg_sql "SELECT status FROM holds WHERE id = '$p';")" = never-arrived ] &&
		[ "$(audits "$p" never-arrived)" = 1 ] && [ "$(audits "$p" confirm)" = 0 ] &&
		[ "$(audits "$p" notice)" = 0 ] && [ "$(outbox_not "$p" cancelled)" = 0 ] &&
		! grep -rqF -- "$p" "$SG_SINK" 2>/dev/null
}
# Each confirmed record of ID: one audit "confirm", its notices sent.
confirmed_once() {
	local h n=0
	for h in $(sg_sql "SELECT id FROM holds WHERE subject = 'fault $1' AND status = 'pending';"); do
		[ "$(audits "$h" confirm)" = 1 ] && [ "$(outbox_not "$h" sent)" = 0 ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}
PHANTOMS=""

# --- 1. kill -9 between the record and the commit --------------------------------
for i in 1 2 3; do
	SG_MILTER_ENV="SG_FAULT=eom-pause" milter_start || die "the milter did not start"
	fmsg "kill-$i" hold
	relay "kill-$i"
	if wait_for 60 eval '[ "$(n_arriving_like "kill-$i")" -ge 1 ]'; then
		kill -KILL "$SG_MILTER_PID"
		ok "kill -9 of the milter between the record of kill-$i and Postfix's commit"
	else
		nok "kill-$i was never recorded as arriving"
		kill -KILL "$SG_MILTER_PID"
	fi
	wait "$SG_MILTER_PID" 2>/dev/null
	SG_MILTER_PID=""
	check "kill-$i: Postfix tempfailed it, the relaying queue keeps it" wait_for 30 in_relay_queue "kill-$i"
done
check "phantoms are not confirmed while the milter is down" \
	[ "$(sg_sql "SELECT count(*) FROM holds WHERE subject LIKE 'fault kill-%' AND status = 'pending';")" = 0 ]
milter_start || die "the milter did not restart"
# reconcile (as root) while phantoms may be young: it closes only those
# older than arrival_timeout (12 s), and fails nothing.
CTL reconcile >"$SG_BASE/reconcile-1.out" 2>&1
check "reconcile with young phantoms: exit 0 ($(tail -1 "$SG_BASE/reconcile-1.out"))" \
	grep -q "0 failed" "$SG_BASE/reconcile-1.out"
retry 120
for i in 1 2 3; do
	check "kill-$i: held exactly once, with exactly one confirmed record (of $(n_rec "kill-$i"))" \
		wait_for 30 once "kill-$i" hold
	p=$(phantoms_of "kill-$i")
	PHANTOMS="$PHANTOMS $p"
	# A retry of an earlier message may have been killed too: at least one.
	check "kill-$i: phantom records: $(echo $p)" [ "$(echo "$p" | grep -c .)" -ge 1 ]
	for q in $p; do
		check "kill-$i: phantom $q is closed as never-arrived, silently (one audit record, no notice)" \
			wait_for 30 silent_phantom "$q"
		rc "$SG_CTL" -c "$(milter_conf)" approve "$q" --checked all --by "$APPROVER"
		check "kill-$i: nobody can approve phantom $q (exit $RC)" [ "$RC" != 0 ]
	done
done
nk=$(echo $PHANTOMS | wc -w)
check "each closure was logged ($nk phantoms: the milter's log, or reconcile's output)" \
	eval '[ "$(cat "$SG_MDIR/stderr.log" "$SG_BASE/reconcile-1.out" | grep -c "never arrived (no queue file")" -ge "$nk" ]'

# --- 2. Postfix stopped while held messages are between record and commit -------
milter_stop
SG_MILTER_ENV="SG_FAULT=eom-pause" milter_start || die "the milter did not start"
N=20
ids="" pids=""
for i in $(seq 1 $N); do
	fmsg "stop-$i" hold
	relay "stop-$i" &
	pids="$pids $!"
	ids="$ids stop-$i"
done
# not a bare `wait`: that would wait for the sink and the milter too
wait $pids
check "some held messages are recorded, not committed ($(n_arriving_like stop-) arriving)" \
	wait_for 60 eval '[ "$(n_arriving_like stop-)" -ge 3 ]'
note "postfix stop with $(n_arriving_like stop-) holds arriving"
pf_stop
milter_stop
milter_start || die "the milter did not restart"
pf_start
retry 180
# Held, each copy on hold with its own confirmed record, never
# delivered. A copy is a second queue file: when the stop cut the
# relay's session after the gateway had committed the file but before
# the client read its 250, the relay sends the message again (SMTP's
# duplicate window, RFC 1047); that is no phantom, and the milter cannot
# tell. The invariant below checks one confirmed record per file.
held_copies() {
	local q n=0
	[ "$(n_sink "$1")" = 0 ] || return 1
	for q in $(sg_sql "SELECT queue_id FROM holds WHERE subject = 'fault $1' AND status = 'pending';"); do
		[ "$(pf_queue_name "$q")" = hold ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}
bad="" nph=0 loud="" dup=""
for id in $ids; do
	wait_for 30 held_copies "$id" || bad="$bad $id"
	[ "$(n_hold "$id")" -gt 1 ] && dup="$dup $id"
	for p in $(phantoms_of "$id"); do
		nph=$((nph + 1))
		PHANTOMS="$PHANTOMS $p"
		wait_for 30 silent_phantom "$p" || loud="$loud $p"
	done
done
check "after postfix stop/start: each of the $N messages is held, never delivered, each copy with one confirmed record${bad:+ (wrong:$bad)}" \
	[ -z "$bad" ]
note "held twice (committed by the gateway, resent by the relay whose session the stop cut):${dup:- none}"
check "the stop left phantom records ($nph), all closed silently as never-arrived${loud:+ (wrong:$loud)}" \
	eval '[ "$nph" -ge 1 ] && [ -z "$loud" ]'

# --- 3. what the approvers and the queue see -----------------------------------------
bad=""
for id in kill-1 kill-2 kill-3 $ids; do wait_for 60 confirmed_once "$id" || bad="$bad $id"; done
check "every confirmed hold was confirmed once and all its notices were sent${bad:+ (wrong:$bad)}" [ -z "$bad" ]
check "no notice was ever sent or audited for a phantom" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'notice' AND hold_id IN (SELECT id FROM holds WHERE status = 'never-arrived');")" = 0 ]
check "one never-arrived audit record per phantom ($(echo $PHANTOMS | wc -w))" \
	[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'never-arrived';")" = "$(echo $PHANTOMS | wc -w)" ]
check "no hold without a confirmed record, no confirmed record without a hold" invariant
CTL reconcile >"$SG_BASE/reconcile-2.out" 2>&1
rc=$?
check "reconcile afterwards: exit 0, nothing to repair ($(tail -1 "$SG_BASE/reconcile-2.out"))" \
	eval '[ "$rc" = 0 ] && grep -q "^reconcile: 0 repaired" "$SG_BASE/reconcile-2.out"'
check "the phantoms are still closed, none deleted or revived" \
	[ "$(sg_sql "SELECT count(*) FROM holds WHERE status = 'never-arrived';")" = "$(echo $PHANTOMS | wc -w)" ]
check "the audit chain verifies" CTL audit verify
milter_stop
fault_end
