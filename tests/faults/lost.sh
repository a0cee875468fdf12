#!/bin/bash
#
# NAME
#	lost.sh - the store deleted, truncated, its WAL removed while mail
#	flows (issue 15: "the store is the store")
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). For each fault: three held
#	messages are recorded first; then 12 more (held and clean) come in
#	through the relaying port from a background sender while the
#	fault is made, and one more after it. Checked:
#	  - the milter notices at its next transaction and answers
#	    failure_action (tempfail): mail that comes after the fault waits
#	    in the relaying queue (deferred with 4.x.x), nothing is held
#	    without a record; the loss is logged once, not per message;
#	  - `sendguardctl list` fails with a clear message and a non-zero
#	    exit (66 when the store is gone) and creates nothing; after a
#	    removed WAL, whose records the milter wrote back, it lists;
#	  - recovery as README says: stop the milter; deleted: the copy
#	    the milter saved of the file it still read is put back, nothing
#	    to rebuild, the audit chain verifies; truncated:
#	    move what is left aside, `store init`, `reconcile --rebuild`
#	    (pending records recreated under the X-Sendguard-Hold ids, one
#	    "rebuild" audit record each); WAL removed: the milter wrote its
#	    records back when it saw the loss, so even kill -9 (used here)
#	    loses none, nothing to rebuild; start the milter, retry;
#	  - then, message by message: held exactly once with exactly one
#	    record on hold, or delivered exactly once; no hold without a
#	    record, no record without a hold.
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
EOF2
CTL() { "$SG_CTL" -c "$(milter_conf)" "$@"; }
DB=$SG_MDIR/db/sendguard.db
LOSS='to every message that needs the store'
logged() { grep -c "$LOSS" "$SG_MDIR/stderr.log"; }
# Ids end in h (held kind) or c (clean kind).
kind_of() { case $1 in *h) echo hold ;; *) echo clean ;; esac; }
# rebuilt F: the three held before the fault have a record again, each
# with exactly one "rebuild" audit record.
rebuilt() {
	local i h
	for i in 1 2 3; do
		h=$(sg_sql "SELECT id FROM holds WHERE subject = 'fault $1-p${i}h';")
		[ -n "$h" ] || return 1
		[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = 'rebuild' AND hold_id = '$h';")" = 1 ] || return 1
	done
}
# asked_again F: each of them has its approvers asked again (approval
# requests in the outbox: the decision went with the lost store).
asked_again() {
	local i h
	for i in 1 2 3; do
		h=$(sg_sql "SELECT id FROM holds WHERE subject = 'fault $1-p${i}h';")
		[ -n "$h" ] || return 1
		[ "$(sg_sql "SELECT count(*) FROM outbox WHERE hold_id = '$h' AND kind = 'approval_request';")" -ge 1 ] || return 1
	done
}
# held_recorded ID: its record is there and its file on hold
held_recorded() { [ "$(n_hold "$1")" = 1 ] && once "$1" hold; }

# sender F: 12 messages F-l1h, F-l2c, ... two at a time, 0.3 s apart
sender() {
	local f=$1 i k
	for i in $(seq 1 12); do
		k=c
		[ $((i % 2)) = 1 ] && k=h
		fmsg "$f-l$i$k" "$( [ $k = h ] && echo hold || echo clean)"
		relay "$f-l$i$k" &
		[ $((i % 2)) = 0 ] && { wait; sleep 0.3; }
	done
	wait
}

# all_once: every message of $IDS is delivered once or held once.
all_once() {
	local id
	for id in $IDS; do once "$id" "$(kind_of "$id")" || { pf_flush; return 1; }; done
}

lost_case() {
	local f=$1 before ids id bad
	F=$f
	for id in "$f-p1h" "$f-p2h" "$f-p3h"; do
		fmsg "$id" hold
		relay "$id"
	done
	check "$f: three held messages recorded before the fault" \
		wait_for 90 eval 'held_recorded "$F-p1h" && held_recorded "$F-p2h" && held_recorded "$F-p3h"'
	before=$(logged)
	sender "$f" 9>&- &
	local spid=$!
	sleep 1
	case $f in
	deleted) rm -f "$DB" ;;
	truncated) truncate -s 0 "$DB" ;;
	wal) rm -f "$DB-wal" ;;
	esac
	note "$f: fault made while the sender ran"
	wait "$spid"
	fmsg "$f-ah" hold
	relay "$f-ah"
	check "$f: mail after the fault waits in the relaying queue" wait_for 60 in_relay_queue "$f-ah"
	check "$f: the gateway tempfailed it (4.x.x)" \
		wait_for 30 eval 'pf_log | grep -q "$(relay_qid "$F-ah"): .*status=deferred.*said: 4[0-9][0-9] 4\."'
	check "$f: the milter logged the loss once ($(grep "$LOSS" "$SG_MDIR/stderr.log" | tail -1 | grep -o "store /[^;]*" | cut -c1-160))" \
		[ "$(logged)" = $((before + 1)) ]
	check "$f: the milter is still running" kill -0 "$SG_MILTER_PID"
	rc CTL list
	if [ "$f" = wal ]; then
		# The milter wrote the records back when it saw the loss:
		# the file is whole, and another process reads it.
		check "wal: sendguardctl list reads the whole store (exit $RC; the three held before are listed)" \
			eval '[ "$RC" = 0 ] && [ "$(echo "$OUT" | grep -c "fault wal-p[123]h")" = 3 ]'
	else
		check "$f: sendguardctl list fails (exit $RC): $(echo "$OUT" | head -1 | cut -c1-200)" \
			eval '[ "$RC" != 0 ] && echo "$OUT" | grep -q "store"'
	fi
	if [ "$f" = deleted ]; then
		check "deleted: list says the store does not exist (exit 66) and creates none" \
			eval '[ "$RC" = 66 ] && [ ! -e "$DB" ]'
	fi
	# Recovery (README: when the store is lost). A removed WAL's
	# records were written back when the loss was seen: even kill -9
	# then loses none of them (before, only a clean stop wrote them
	# back, and one that took past milter_stop's 30 s was killed).
	if [ "$f" = wal ]; then
		check "wal: the milter wrote the removed WAL's records back at once" \
			grep -q "WAL file .* was [a-z]* while in use; the [0-9]* pages* it still held w[a-z]* written back" "$SG_MDIR/stderr.log"
		kill -KILL "$SG_MILTER_PID"
		wait "$SG_MILTER_PID" 2>/dev/null
		SG_MILTER_PID=""
		rc CTL list
		check "wal: after kill -9 of the milter the store opens again (exit $RC)" [ "$RC" = 0 ]
	else
		# Deleted: the milter still read the file and saved a copy
		# beside the path, which is put back (README: when the store
		# is lost): decisions, notices and the audit chain kept.
		local saved=""
		if [ "$f" = deleted ]; then
			saved=$(grep "$LOSS" "$SG_MDIR/stderr.log" | tail -1 | grep -o "was saved to [^ ]*rescued-[^ ;]*" | sed 's/^was saved to //')
			check "deleted: the milter saved what it still had of the store (${saved##*/})" \
				eval '[ -n "$saved" ] && [ -f "$saved" ] && [ "$(stat -c %a "$saved")" = 600 ]'
		fi
		milter_stop
		mkdir -p "$SG_BASE/aside-$f"
		mv "$DB"* "$SG_BASE/aside-$f/" 2>/dev/null
		if [ "$f" = deleted ]; then
			[ -n "$saved" ] && mv "$SG_BASE/aside-$f/${saved##*/}" "$DB"
			rc CTL audit verify
			check "deleted: the saved copy put back opens, its audit chain verifies (exit $RC)" [ "$RC" = 0 ]
		else
			rc CTL store init
			check "$f: store init makes a new store ($OUT)" [ "$RC" = 0 ]
		fi
	fi
	rc CTL reconcile --rebuild
	check "$f: reconcile --rebuild exits 0 ($(echo "$OUT" | grep 'rebuild:'))" [ "$RC" = 0 ]
	if [ "$f" != truncated ]; then
		check "$f: nothing to recreate (every record survived)" \
			eval 'echo "$OUT" | grep -q "rebuild: 0 recreated"'
	else
		check "$f: the three held before the fault were recreated, each with a rebuild audit record" \
			rebuilt "$f"
		check "$f: their approvers are asked again (approval requests in the outbox)" \
			asked_again "$f"
	fi
	milter_start || die "the milter did not restart"
	retry 120
	bad=""
	ids="$f-p1h $f-p2h $f-p3h $f-ah"
	for i in $(seq 1 12); do
		[ $((i % 2)) = 1 ] && ids="$ids $f-l${i}h" || ids="$ids $f-l${i}c"
	done
	# A message deferred during the fault may still sit in the relay's
	# deferred queue when the queue looks settled (the flush and the
	# gateway's answer race the first look): wait, bounded, for every
	# message to reach its one final state before judging.
	IDS=$ids
	wait_for 90 all_once || true
	for id in $ids; do once "$id" "$(kind_of "$id")" || bad="$bad $id"; done
	check "$f: every message held once with one record on hold, or delivered once${bad:+ (wrong:$bad)}" [ -z "$bad" ]
	check "$f: no hold without a record, no record without a hold" invariant
}

lost_case deleted
lost_case truncated
lost_case wal
milter_stop
fault_end
